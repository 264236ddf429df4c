from django.urls import path

from . import views

app_name = "annotations"

urlpatterns = [
    path("articles/<slug:slug>/annotations/", views.create, name="create"),
    path(
        "articles/<slug:slug>/p/<int:position>/annotate/",
        views.annotate_block,
        name="annotate_block",
    ),
    path("annotations/<int:pk>/", views.card, name="card"),
    path("annotations/<int:pk>/edit/", views.edit, name="edit"),
    path("annotations/<int:pk>/delete/", views.delete, name="delete"),
]
