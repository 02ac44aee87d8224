from django.contrib import admin

from app.platform.sharding.admin import TeamRowsAdmin
from app.posts.models import Comment, Post


@admin.register(Post)
class PostAdmin(TeamRowsAdmin):
    list_display = ("title", "team", "author", "created_at")
    list_select_related = ("team", "author")
    raw_id_fields = ("team", "author")
    search_fields = ("title",)


@admin.register(Comment)
class CommentAdmin(TeamRowsAdmin):
    list_display = ("post", "author", "created_at")
    list_select_related = ("post", "author")
    raw_id_fields = ("post", "author")
