from django.urls import path

from app.posts import views

urlpatterns = [
    path("", views.feed, name="feed"),
    path("posts/new/", views.publish, name="post_publish"),
    path("posts/<id:post_id>/", views.detail, name="post_detail"),
]
