"""The evaluation pages, one module per part of the cycle; each module ends with its own
``urlpatterns``, which ``evaluations/urls.py`` joins."""
