import pytest

from app.platform.errors import DomainError
from app.platform.http.pages import page_number, paginate
from app.posts.models import Post
from tests.factories import PostFactory


@pytest.mark.django_db
def test_a_page_knows_whether_there_is_a_next_without_counting():
    PostFactory.create_batch(5)
    first = paginate(Post.objects.order_by("id"), page=1, page_size=3)
    second = paginate(Post.objects.order_by("id"), page=2, page_size=3)
    assert (len(first.items), first.has_next, first.has_previous) == (3, True, False)
    assert (len(second.items), second.has_next, second.has_previous) == (2, False, True)


@pytest.mark.parametrize(("page", "size", "field"), [(0, 10, "page"), (1, 0, "page_size"), (1, 51, "page_size")])
def test_out_of_range_paging_is_refused_with_the_field_named(page, size, field):
    with pytest.raises(DomainError) as refused:
        paginate(Post.objects.none(), page=page, page_size=size)
    assert refused.value.field == field


@pytest.mark.parametrize(("raw", "number"), [(None, 1), ("3", 3), ("-2", 1), ("abc", 1), ("", 1)])
def test_a_page_number_from_a_url_never_fails(raw, number):
    assert page_number(raw) == number
