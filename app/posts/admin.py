from django.contrib import admin

from app.posts.models import Comment, Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "author", "created_at")
    list_select_related = ("team", "author")
    raw_id_fields = ("team", "author")
    search_fields = ("title",)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("post", "author", "created_at")
    list_select_related = ("post", "author")
    raw_id_fields = ("post", "author")
