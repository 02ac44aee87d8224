import uuid
from decimal import Decimal
from typing import Any

from django import forms

from app.platform.inputs.images import ImageUploadField
from app.shop.services import MAX_QUANTITY

RELOAD = "This page is out of date: reload it and buy again."


class CheckoutForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    #: Single use: the page is rendered with a fresh one, and a second submission of the same
    #: page (a double click, the back button, a resent POST) finds the order the first placed.
    once = forms.CharField(widget=forms.HiddenInput, max_length=64, error_messages={"required": RELOAD})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["once"].initial = uuid.uuid4().hex


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    stock = forms.IntegerField(min_value=0, max_value=1_000_000)
    image = ImageUploadField(required=False)
