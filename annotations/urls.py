from django.urls import path

from . import notifications, threads, views

app_name = "annotations"

urlpatterns = [
    path("notifications/", notifications.inbox, name="inbox"),
    path("notifications/<int:pk>/read/", notifications.read, name="read"),
    path("notifications/read-all/", notifications.read_all, name="read_all"),
    path("articles/<slug:slug>/annotations/", views.create, name="create"),
    path(
        "articles/<slug:slug>/p/<int:position>/annotate/",
        views.annotate_block,
        name="annotate_block",
    ),
    path("articles/<slug:slug>/updates/", views.updates, name="updates"),
    path("articles/<slug:slug>/cards/", views.cards, name="cards"),
    path("annotations/<int:pk>/", views.card, name="card"),
    path("annotations/<int:pk>/edit/", views.edit, name="edit"),
    path("annotations/<int:pk>/delete/", views.delete, name="delete"),
    path("annotations/<int:pk>/thread/", threads.thread, name="thread"),
    path("annotations/<int:pk>/replies/", threads.reply, name="reply"),
    path("annotations/<int:pk>/resolve/", threads.resolve, name="resolve"),
    path("replies/<int:pk>/edit/", threads.reply_edit, name="reply_edit"),
    path("replies/<int:pk>/delete/", threads.reply_delete, name="reply_delete"),
    path("replies/<int:pk>/answer/", threads.mark_answer, name="mark_answer"),
    path(
        "annotations/<int:pk>/helpful/",
        threads.helpful,
        {"kind": "annotation"},
        name="annotation_helpful",
    ),
    path("replies/<int:pk>/helpful/", threads.helpful, {"kind": "reply"}, name="reply_helpful"),
]
