from django.urls import path

from app.shop import views

urlpatterns = [
    path("shop/", views.catalogue, name="catalogue"),
    path("shop/<uslug:team_slug>/new/", views.product_new, name="product_new"),
    path("shop/<uslug:team_slug>/<uslug:slug>/", views.product_detail, name="product_detail"),
    path("orders/", views.my_orders, name="my_orders"),
    path("orders/<id:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<id:order_id>/invoice.pdf", views.invoice, name="invoice"),
    path("teams/<uslug:team_slug>/dashboard/", views.dashboard, name="dashboard"),
]
