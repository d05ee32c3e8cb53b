import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.consent.models import ConsentState
from amanah.consent.services import consent_change
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import merge
from amanah.customers.models import Customer, CustomerIdentifier, DuplicateFlag, PortfolioAssignment
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign, relation_add
from amanah.customers.tests.conftest import BORN, NIK_M


def test_create_stores_normalized_data_and_identifiers(make_customer):
    c = make_customer(
        "H. Muh. Rizky  Siregar, S.E.",
        phone="0812-3456-789",
        email="Rizky@Mail.co.id",
        birth_date=BORN,
        gender="M",
        nik=NIK_M,
        cif="cif0001",
        account_numbers=["001-234-5678"],
    )
    assert c.name_search == "muhammad rizky siregar"
    assert c.phone_e164 == "+628123456789" and c.email == "rizky@mail.co.id"
    assert sorted(c.identifiers.values_list("id_type", "id_value")) == [
        ("ACCOUNT_NO", "0012345678"),
        ("CIF", "CIF0001"),
        ("NIK", NIK_M),
    ]
    event = AuditLog.objects.get(action="CREATE_CUSTOMER", object_id=str(c.pk))
    assert NIK_M not in str(event.meta) and "0812" not in str(event.meta)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"full_name": " "}, "name_required"),
        ({"phone": "12"}, "phone_invalid"),
        ({"email": "bukan-email"}, "email_invalid"),
        ({"nik": "123"}, "nik_format"),
        ({"cif": "CIF-01!"}, "cif_invalid"),
        ({"account_numbers": ["12ab"]}, "account_invalid"),
        ({"gender": "X"}, "gender_invalid"),
    ],
)
def test_bad_input_creates_nothing(system, branch_a, fields, code):
    data = {"full_name": "Valid Nama", "home_branch": branch_a, **fields}
    with pytest.raises(ServiceError) as refused:
        customer_create(actor=system, data=CustomerInput(**data))
    assert refused.value.code == code
    assert not Customer.objects.exists() and not CustomerIdentifier.objects.exists()


def test_cif_and_account_must_be_unique(make_customer):
    make_customer(cif="CIF1")
    with pytest.raises(ServiceError) as refused:
        make_customer("Orang Lain", cif="cif1")
    assert refused.value.code == "identifier_taken"


def test_duplicates_are_flagged_by_nik_phone_and_similar_name(make_customer):
    first = make_customer(
        "Rina Nasution", birth_date=BORN, phone="081311112222", nik=NIK_M, gender="M"
    )
    same_nik = make_customer("Siapa Saja", nik=NIK_M, birth_date=BORN, gender="M")
    same_phone = make_customer("Orang Berbeda", phone="+62 813-1111-2222")
    similar = make_customer("Rina Nasutions", birth_date=BORN)
    unrelated = make_customer("Rina Nasution", birth_date=BORN.replace(year=1990))
    reasons = {
        (f.reason, frozenset([f.customer_a_id, f.customer_b_id]))
        for f in DuplicateFlag.objects.all()
    }
    assert ("SAME_NIK", frozenset([first.pk, same_nik.pk])) in reasons
    assert ("SAME_PHONE", frozenset([first.pk, same_phone.pk])) in reasons
    assert ("SIMILAR_NAME_DOB", frozenset([first.pk, similar.pk])) in reasons
    assert not any(unrelated.pk in pair for _r, pair in reasons)
    assert not same_nik.identifiers.filter(id_type="NIK").exists()  # the NIK stays with its owner


def test_out_of_scope_customer_cannot_be_created_or_touched(
    make_user, branch_a, branch_b, make_customer
):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(ServiceError):
        customer_create(
            actor=supervisor, data=CustomerInput(full_name="Luar Cabang", home_branch=branch_b)
        )
    other = make_customer(branch=branch_b)
    with pytest.raises(NotFound):
        relation_add(
            actor=supervisor, customer=make_customer(), other=other, relation_type="FAMILY"
        )


def test_portfolio_assignment_keeps_one_active_rm(make_user, make_customer, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    rm1, rm2 = make_user(R.RM, branches=[branch_a]), make_user(R.RM, branches=[branch_a])
    c = make_customer()
    portfolio_assign(actor=supervisor, customer=c, rm=rm1)
    portfolio_assign(actor=supervisor, customer=c, rm=rm2)
    assert list(
        PortfolioAssignment.objects.filter(customer=c, active=True).values_list("rm", flat=True)
    ) == [rm2.pk]
    with pytest.raises(ServiceError):
        portfolio_assign(actor=supervisor, customer=c, rm=make_user(R.AGENT, branches=[branch_a]))


def _duplicate_pair(make_customer, make_user, branch_a):
    survivor = make_customer("Rina Lubis", phone="081300001111", cif="CIF900", birth_date=BORN)
    absorbed = make_customer(
        "Rina Lubis, S.E.",
        phone="081300001111",
        nik=NIK_M,
        birth_date=BORN,
        gender="M",
        products={"has_loan": True},
    )
    return survivor, absorbed


def test_merge_needs_a_second_supervisor_and_loses_nothing(make_customer, make_user, branch_a):
    survivor, absorbed = _duplicate_pair(make_customer, make_user, branch_a)
    proposer = make_user(R.SUPERVISOR, branches=[branch_a])
    approver = make_user(R.SUPERVISOR, branches=[branch_a])
    rm = make_user(R.RM, branches=[branch_a])
    portfolio_assign(actor=proposer, customer=absorbed, rm=rm)
    agent = make_user(R.AGENT, branches=[branch_a])
    consent_change(
        actor=agent,
        customer=absorbed,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    request = merge.merge_propose(
        actor=proposer, survivor=survivor, absorbed=absorbed, reason="nasabah yang sama"
    )
    with pytest.raises(ServiceError) as refused:
        merge.merge_approve(actor=proposer, request=request)
    assert refused.value.code == "guard_failed"  # customers.merge.four_eyes
    with pytest.raises(PermissionDenied):
        merge.merge_approve(actor=make_user(R.ADMIN), request=request)  # may propose, not approve
    merge.merge_approve(actor=approver, request=request, note="cek KTP")
    survivor.refresh_from_db()
    absorbed.refresh_from_db()
    assert absorbed.merged_into == survivor and absorbed.status == "CLOSED"
    assert set(survivor.identifiers.values_list("id_type", flat=True)) == {"CIF", "NIK"}
    assert survivor.has_loan
    assert PortfolioAssignment.objects.get(customer=survivor, active=True).rm == rm
    assert (
        ConsentState.objects.get(customer=survivor, consent_type="MARKETING").status == "WITHDRAWN"
    )
    assert survivor.consent_records.count() == 1
    assert not DuplicateFlag.objects.filter(status="OPEN").exists()
    actions = list(
        AuditLog.objects.filter(object_id=str(request.pk)).values_list("action", flat=True)
    )
    assert actions == ["PROPOSE_MERGE", "APPROVE_MERGE"]


def test_rejected_merge_changes_nothing(make_customer, make_user, branch_a):
    survivor, absorbed = _duplicate_pair(make_customer, make_user, branch_a)
    request = merge.merge_propose(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]),
        survivor=survivor,
        absorbed=absorbed,
        reason="mungkin sama orangnya",
    )
    merge.merge_reject(
        actor=make_user(R.SUPERVISOR, branches=[branch_a]), request=request, note="beda ibu kandung"
    )
    absorbed.refresh_from_db()
    assert absorbed.merged_into is None and absorbed.identifiers.count() == 1
    with pytest.raises(ServiceError):
        merge.merge_approve(actor=make_user(R.SUPERVISOR, branches=[branch_a]), request=request)


def test_merge_proposal_needs_reason_and_distinct_customers(make_customer, make_user, branch_a):
    survivor, absorbed = _duplicate_pair(make_customer, make_user, branch_a)
    proposer = make_user(R.SUPERVISOR, branches=[branch_a])
    for kwargs in (
        {"survivor": survivor, "absorbed": survivor, "reason": "alasan cukup panjang"},
        {"survivor": survivor, "absorbed": absorbed, "reason": "pendek"},
    ):
        with pytest.raises(ServiceError):
            merge.merge_propose(actor=proposer, **kwargs)


def test_duplicates_page_is_for_supervisors(signed_in, make_customer, branch_a):
    _duplicate_pair(make_customer, None, branch_a)
    supervisor_client, _ = signed_in(R.SUPERVISOR, branches=[branch_a])
    page = supervisor_client.get("/customers/duplicates/")
    assert page.status_code == 200 and "Rina Lubis" in page.content.decode()
    agent_client, _ = signed_in(R.AGENT, branches=[branch_a])
    assert agent_client.get("/customers/duplicates/").status_code == 403


def test_closing_a_customer_is_announced_once(make_customer, system, branch_a):
    from amanah.core import registry
    from amanah.core.events import EventHandler
    from amanah.customers.services import CUSTOMER_CLOSED, customer_update

    customer = make_customer("Rahmat Hidayat Siregar")
    seen = []
    probe = EventHandler(CUSTOMER_CLOSED, lambda *, actor, customer: seen.append(customer.pk))
    with registry.event_handlers.temporarily(f"{CUSTOMER_CLOSED}:probe", probe):
        for status in ("DORMANT", "CLOSED", "CLOSED"):
            data = CustomerInput(full_name=customer.full_name, home_branch=branch_a, status=status)
            customer_update(actor=system, customer=customer, data=data)
    assert seen == [customer.pk]
