from django import forms

from app.posts.models import COMMENT_MAX_LENGTH
from app.teams.models import Team


class PostForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)

    def __init__(self, *args: object, teams: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=COMMENT_MAX_LENGTH, label="Comment")
