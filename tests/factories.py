"""factory_boy factories: the smallest valid object of each model, with overridable parts."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from app.accounts.models import User
from app.posts.models import Comment, Post
from app.shop.models import Order, Product
from app.teams.models import Membership, Team

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy's hook signature
        if create:
            obj.save(update_fields=["password"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")

    @factory.post_generation
    def owner(obj, create, extracted, **kwargs):  # noqa: N805
        """``TeamFactory(owner=user)`` makes ``user`` its owner."""
        if create and extracted is not None:
            Membership.objects.create(team=obj, user=extracted, role=Membership.Role.OWNER)


class TeamRowFactory(factory.django.DjangoModelFactory):
    """A row that belongs to a team, saved with ``save()`` rather than ``Manager.create()``, so the
    router sees the row itself (its team, its parent) and tier4 writes it to its team's shard."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        row = model_class(*args, **kwargs)
        row.save()
        return row


class PostFactory(TeamRowFactory):
    class Meta:
        model = Post

    team = factory.SubFactory(TeamFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Post {n}")
    body = "Something worth reading."
    created_at = factory.LazyFunction(timezone.now)


class CommentFactory(TeamRowFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    body = "Nice one."


class ProductFactory(TeamRowFactory):
    class Meta:
        model = Product

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("10.00")
    stock = 100


class OrderFactory(TeamRowFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    total = Decimal("10.00")

    @factory.post_generation
    def items(obj, create, extracted, **kwargs):  # noqa: N805
        """Each order gets one item of a product from its team unless ``items=0``."""
        if create and extracted != 0:
            product = ProductFactory(team=obj.team)
            obj.items.create(product=product, quantity=1, unit_price=product.price)
