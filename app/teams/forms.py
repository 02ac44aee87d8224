from django import forms

from app.teams.models import Membership


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class WebhookForm(forms.Form):
    webhook_url = forms.URLField(
        required=False, max_length=200, assume_scheme="https", help_text="Leave empty to turn webhooks off."
    )
