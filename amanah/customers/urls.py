from django.urls import path

from amanah.customers.views import duplicates, fraud, masterdata, portfolio, records

app_name = "customers"
urlpatterns = [
    path("new/", records.create, name="create"),
    path("<uuid:customer_id>/edit/", records.edit, name="edit"),
    path("<uuid:customer_id>/edit/reveal/<slug:field>/", records.edit_reveal, name="edit_reveal"),
    path("<uuid:customer_id>/data/", masterdata.master_data, name="master_data"),
    path(
        "<uuid:customer_id>/identifiers/add/",
        masterdata.identifier_add,
        name="identifier_add",
    ),
    path(
        "<uuid:customer_id>/identifiers/<uuid:identifier_id>/correct/",
        masterdata.identifier_correct,
        name="identifier_correct",
    ),
    path(
        "<uuid:customer_id>/identifiers/<uuid:identifier_id>/verify/",
        masterdata.identifier_verify,
        name="identifier_verify",
    ),
    path(
        "<uuid:customer_id>/identifiers/<uuid:identifier_id>/remove/",
        masterdata.identifier_remove,
        name="identifier_remove",
    ),
    path(
        "<uuid:customer_id>/identifiers/<uuid:identifier_id>/reveal/",
        masterdata.identifier_reveal,
        name="identifier_reveal",
    ),
    path("<uuid:customer_id>/relations/add/", masterdata.relation_add, name="relation_add"),
    path(
        "<uuid:customer_id>/relations/<int:relation_id>/remove/",
        masterdata.relation_remove,
        name="relation_remove",
    ),
    path("<uuid:customer_id>/portfolio/", portfolio.portfolio, name="portfolio"),
    path(
        "<uuid:customer_id>/portfolio/release/",
        portfolio.portfolio_release,
        name="portfolio_release",
    ),
    path("portfolios/", portfolio.portfolios, name="portfolios"),
    path("portfolios/mine/", portfolio.my_portfolio, name="my_portfolio"),
    path("portfolios/<uuid:rm_id>/", portfolio.portfolio_of, name="portfolio_of"),
    path(
        "portfolios/<uuid:rm_id>/transfer/",
        portfolio.portfolio_transfer,
        name="portfolio_transfer",
    ),
    path("fraud/", fraud.fraud_flags, name="fraud_flags"),
    path("fraud/<uuid:customer_id>/clear/", fraud.fraud_flag_clear, name="fraud_flag_clear"),
    path("duplicates/", duplicates.duplicates, name="duplicates"),
    path("duplicates/<int:flag_id>/propose/", duplicates.propose, name="propose_merge"),
    path("duplicates/<int:flag_id>/dismiss/", duplicates.dismiss, name="dismiss_duplicate"),
    path("merges/<uuid:request_id>/decide/", duplicates.decide, name="decide_merge"),
]
