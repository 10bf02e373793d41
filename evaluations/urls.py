from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("policy/", views.PolicyVersionListView.as_view(), name="policy_list"),
    path("policy/new/", views.PolicyVersionCreateView.as_view(), name="policy_create"),
    path("policy/<int:pk>/", views.PolicyVersionDetailView.as_view(), name="policy_detail"),
    path("policy/<int:pk>/edit/", views.PolicyVersionUpdateView.as_view(), name="policy_update"),
]
