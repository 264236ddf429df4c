from django.urls import path

from . import dashboard, moderation, views

app_name = "classrooms"

urlpatterns = [
    path("classes/", views.my_classes, name="my_classes"),
    path("classes/new/", views.create, name="create"),
    path("classes/join/", views.join, name="join"),
    path("classes/join/<str:code>/", views.join, name="join_code"),
    path("classes/<int:pk>/", views.detail, name="detail"),
    path("classes/<int:pk>/rotate-code/", views.rotate_code, name="rotate_code"),
    path(
        "classes/<int:pk>/members/<int:user_id>/remove/", views.remove_member, name="remove_member"
    ),
    path("classes/<int:pk>/teachers/", views.add_teacher, name="add_teacher"),
    path("classes/<int:pk>/settings/", views.settings_view, name="settings"),
    path("classes/<int:pk>/assignments/new/", views.assignment_create, name="assignment_create"),
    path("assignments/", views.my_assignments, name="my_assignments"),
    path("assignments/<int:pk>/", views.assignment, name="assignment"),
    path("assignments/<int:pk>/dashboard/", dashboard.dashboard, name="dashboard"),
    path("assignments/<int:pk>/dashboard.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("assignments/<int:pk>/annotations.csv", dashboard.annotations_csv, name="annotations_csv"),
    path("assignments/<int:pk>/discuss/", dashboard.open_discussion, name="open_discussion"),
    path(
        "annotations/<int:pk>/hide/",
        moderation.hide,
        {"kind": "annotation"},
        name="hide_annotation",
    ),
    path("replies/<int:pk>/hide/", moderation.hide, {"kind": "reply"}, name="hide_reply"),
    path(
        "annotations/<int:pk>/flag/",
        moderation.flag,
        {"kind": "annotation"},
        name="flag_annotation",
    ),
    path("replies/<int:pk>/flag/", moderation.flag, {"kind": "reply"}, name="flag_reply"),
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/flags/<int:pk>/", moderation.decide, name="moderation_decide"),
]
