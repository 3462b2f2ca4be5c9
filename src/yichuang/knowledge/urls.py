from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("review/", views.review, name="review"),
    path("searches/", views.searches, name="searches"),
    path("<int:pk>/", views.article, name="article"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/draft/", views.new_draft, name="new-draft"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/review-date/", views.review_date, name="review-date"),
    path("v/<int:pk>/", views.version, name="version"),
    path("v/<int:pk>/file/", views.upload, name="upload"),
    path("v/<int:pk>/submit/", views.submit, name="submit"),
    path("v/<int:pk>/publish/", views.publish, name="publish"),
    path("v/<int:pk>/return/", views.return_version, name="return"),
    path("file/<int:pk>/remove/", views.remove_file, name="remove-file"),
    path("a/<int:pk>/", views.public, name="public"),
    path("f/<int:pk>/", views.download, name="file"),
]
