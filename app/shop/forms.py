from decimal import Decimal

from django import forms

from app.platform.images import ImageUploadField
from app.shop.services import MAX_QUANTITY


class CheckoutForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    stock = forms.IntegerField(min_value=0, max_value=1_000_000)
    image = ImageUploadField(required=False)
