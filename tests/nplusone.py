"""N+1 detection (django-zeal) around every request in the tests, Django's admin widgets aside."""

from zeal import zeal_context, zeal_ignore

# Django's admin reads the object behind each raw-id widget, and each inline row's hidden id,
# with a .get() of its own: one query per widget or row, in Django's code, on curators' pages.
# Only .get() is let through, and only under /admin/: our own querysets there are still checked.
ADMIN_GETS = [{"model": "*", "field": "get()"}]


def middleware(get_response):
    def middleware(request):
        with zeal_context():
            if request.path.startswith("/admin/"):
                with zeal_ignore(ADMIN_GETS):
                    return get_response(request)
            return get_response(request)

    return middleware
