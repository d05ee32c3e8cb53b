from django.urls import path

from amanah.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.journal, name="journal"),
    path("<int:entry_id>/", views.entry_detail, name="entry"),
    path("<int:entry_id>/balik/", views.entry_reverse, name="entry_reverse"),
    path("neraca-saldo/", views.trial_balance, name="trial_balance"),
    path("periode/", views.periods, name="periods"),
    path("periode/tutup/", views.period_close, name="period_close"),
    path("periode/buka/", views.period_reopen, name="period_reopen"),
    path("akun/", views.accounts, name="accounts"),
    path("akun/<str:code>/", views.account_edit, name="account_edit"),
    path("ekspor/", views.export, name="export"),
]
