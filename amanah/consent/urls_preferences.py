from django.urls import path

from amanah.consent import views_preferences

app_name = "consent_preferences"
urlpatterns = [
    path("<uuid:customer_id>/", views_preferences.preference_set, name="set"),
]
