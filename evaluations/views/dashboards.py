"""Stage 2: where a role lands, the district's dashboard and the city's, closing the stage.

TODO(issue 4): placeholder routes, replaced by the real views."""
from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


urlpatterns = [
    path("preliminary/", _todo, name="review_home"),
    path("cycles/<int:year>/preliminary/", _todo, name="preliminary_city"),
    path("cycles/<int:year>/preliminary/close/", _todo, name="preliminary_close"),
    path("preliminary/<int:pk>/", _todo, name="district_dashboard"),
]
