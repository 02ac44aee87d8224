from django.urls import path

from app.teams import views

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("new/", views.team_new, name="team_new"),
    path("<uslug:slug>/settings/", views.team_settings, name="team_settings"),
]
