from django.urls import path

from hotspot.casework import views

app_name = "casework"
urlpatterns = [
    path("", views.home, name="home"),
    path("overdue/", views.overdue, name="overdue"),
    path("search/", views.search, name="search"),
    path("subject-extract/", views.subject_extract, name="subject_extract"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    path("programmes/<int:pk>/summary/", views.summary, name="summary"),
    path("programmes/<int:pk>/lists/new/", views.list_new, name="list_new"),
    path("programmes/<int:pk>/cases/new/", views.case_new, name="case_new"),
    path("programmes/<int:pk>/queue/", views.queue, name="queue"),
    path("programmes/<int:pk>/queue/rule/", views.rule_edit, name="rule_edit"),
    path(
        "programmes/<int:pk>/queue/notifications/new/",
        views.notification_new,
        name="notification_new",
    ),
    path("programmes/<int:pk>/meetings/", views.meetings, name="meetings"),
    path("programmes/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/tasks/new/", views.meeting_task_new, name="meeting_task_new"),
    path("queue/<int:pk>/respond/", views.item_respond, name="item_respond"),
    path("lists/<int:pk>/entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:pk>/end/", views.entry_end, name="entry_end"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/follow-ups/new/", views.followup_new, name="followup_new"),
    path("cases/<int:pk>/agreements/new/", views.agreement_new, name="agreement_new"),
]
