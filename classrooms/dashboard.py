"""The teacher's view of an assignment (written by the dashboard work)."""

from django.http import Http404


def dashboard(request, pk):
    raise Http404


dashboard_csv = annotations_csv = open_discussion = dashboard
