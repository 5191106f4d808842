from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/export.xlsx", views.ledger_export, name="ledger-export"),
    path("tasks/mine/", views.my_tasks, name="my-tasks"),
    path("tasks/department/", views.department_tasks, name="department-tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/<slug:action>/", views.task_action_view, name="task-action"),
    path("obstacles/<int:pk>/", views.obstacle_detail, name="obstacle-detail"),
    path("obstacles/new/<int:enterprise_pk>/", views.obstacle_create_view,
         name="obstacle-create"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
    path("approvals/", views.approval_inbox, name="approval-inbox"),
    path("approvals/<int:pk>/decide/", views.approval_decide_view, name="approval-decide"),
    path("kpis/", views.kpis, name="kpis"),
]
