from django.urls import path

from hpf.channels.backoffice import views, views_start, views_upload

app_name = "backoffice"
urlpatterns = [
    path("runs/", views.run_list, name="runs"),
    path("runs/progress.json", views.run_progress_json, name="runs_progress"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
]
urlpatterns += [
    path("remittance/upload/", views_upload.upload, name="remittance_upload"),
    path("remittance/confirm/", views_upload.confirm, name="remittance_confirm"),
]
urlpatterns += [
    path("start/", views_start.start_page, name="start"),
    path("start/run/", views_start.start, name="start_run"),
]
