"""A second URL configuration, for the memoised ``{% url %}`` tag's test."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/posts/<int:post_id>/", lambda request, post_id: HttpResponse(), name="post_detail")]
