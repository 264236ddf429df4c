from django.contrib import admin
from django.urls import include, path

from articles import views as article_views

from . import accounts, health

urlpatterns = [
    path("", article_views.home, name="home"),
    path("articles/", include("articles.urls")),
    path("", include("annotations.urls")),
    path("", include("annotations.links_urls")),
    path("", include("classrooms.urls")),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
# A database outage answers 503 with a page that needs no database (config/errors.py).
handler500 = "config.errors.server_error"
