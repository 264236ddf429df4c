from django.urls import path

from . import links

app_name = "links"

urlpatterns = [
    path("annotations/<int:pk>/link/", links.picker, name="picker"),
    path("links/<int:pk>/delete/", links.delete, name="delete"),
    path("articles/<slug:slug>/map/", links.debate_map, name="debate_map"),
]
