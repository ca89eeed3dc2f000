"""Letters to citizens: pick the most specific rule, render Jinja to PDF, keep it with the booking (§1.8, R-1.7.2).

Letter templates are written by administrators, so they run in Jinja's sandbox, and
WeasyPrint may not fetch anything from outside while it renders. A template that does
not render (a syntax error, an unknown filter) does not stop the booking: the built-in
letter for the activity is used and the error is written to the system log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_datetime
from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import (Booking, CallIn, CallInTemplate, Citizen, Letter, LetterActivity,
                           LetterRule, LetterTemplate, OutboxAttachment, Room, Team)

log = logging.getLogger(__name__)

# Built-in letters, used when no rule of the booking's variant matches.
DEFAULT_LETTERS: dict[LetterActivity, tuple[str, str]] = {
    LetterActivity.CALL_IN: (
        "Indkaldelse til samtale",
        "Kære {{ citizen.name }}\n\n"
        "Du er indkaldt til {{ conversation_type|lower }} {{ booking.starts_at }}.\n"
        "Mødested: {{ address }}.\n\n"
        "Er du forhindret, skal du give besked hurtigst muligt.\n\n"
        "Med venlig hilsen\n{{ team.name }}"),
    LetterActivity.MOVE: (
        "Din samtale er flyttet",
        "Kære {{ citizen.name }}\n\n"
        "Din samtale er flyttet til {{ booking.starts_at }}.\nMødested: {{ address }}.\n\n"
        "Med venlig hilsen\n{{ team.name }}"),
    LetterActivity.CANCELLATION: (
        "Din samtale er aflyst",
        "Kære {{ citizen.name }}\n\n"
        "Din samtale {{ booking.starts_at }} er aflyst.{% if cancel_reason %} "
        "Begrundelse: {{ cancel_reason }}{% endif %}\n\n"
        "Du hører fra os, hvis der skal aftales en ny tid.\n\n"
        "Med venlig hilsen\n{{ team.name }}"),
    LetterActivity.UPDATE: (
        "Der er ændringer til din samtale",
        "Kære {{ citizen.name }}\n\n"
        "Der er ændret i oplysningerne om din samtale {{ booking.starts_at }}.\n"
        "Mødested: {{ address }}.\n\nMed venlig hilsen\n{{ team.name }}"),
}

# A withdrawn call-in is told with the variant's cancellation rule; this text stands in
# only when that rule's template does not render, as the built-in letters do for meetings.
WITHDRAWAL_LETTER: tuple[str, str] = (
    "Din indkaldelse er trukket tilbage",
    "Kære {{ citizen.name }}\n\n"
    "Din indkaldelse til {{ conversation_type|lower }} er trukket tilbage, og du skal ikke "
    "møde op.{% if cancel_reason %} Begrundelse: {{ cancel_reason }}{% endif %}\n\n"
    "Du hører fra os, hvis der skal aftales en ny tid.\n\n"
    "Med venlig hilsen\n{{ team.name }}")

ACTIVITY_NAMES_DA = {
    LetterActivity.CALL_IN: "indkaldelse",
    LetterActivity.MOVE: "flytning",
    LetterActivity.CANCELLATION: "aflysning",
    LetterActivity.UPDATE: "aendring",
}

_PAGE_CSS = """
/* No "page X of Y" footer: counting pages makes WeasyPrint lay the letter out twice. */
@page { size: A4; margin: 2.2cm 2cm 2cm 2.2cm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; line-height: 1.45; color: #111; }
.sender { text-align: right; font-size: 9pt; color: #333; }
.recipient { margin: 1.2cm 0 1cm; }
.date { text-align: right; margin-bottom: .8cm; }
h1 { font-size: 14pt; margin: 0 0 .6cm; }
table.facts { border-collapse: collapse; margin: .6cm 0; }
table.facts th { text-align: left; padding: 2pt 12pt 2pt 0; font-weight: 600; vertical-align: top; }
table.facts td { padding: 2pt 0; }
.extra { margin-top: .6cm; padding-top: .3cm; border-top: 1px solid #bbb; }
.ref { margin-top: 1cm; font-size: 8pt; color: #555; }
"""

_LAYOUT = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body>
<div class="sender">{{ team.name }}<br>{{ sender_address }}{% if team.email %}<br>{{ team.email }}{% endif %}{% if team.phone %}<br>Tlf. {{ team.phone }}{% endif %}</div>
<div class="recipient">{{ citizen.name }}{% if citizen_address %}<br>{{ citizen_address }}{% endif %}</div>
<div class="date">{{ letter_date }}</div>
<h1>{{ subject }}</h1>
{{ body }}
<table class="facts">
{% if not withdrawn %}<tr><th>Tidspunkt</th><td>{{ booking.starts_at }} – {{ booking.ends_at.strftime('%H.%M') }}</td></tr>{% endif %}
<tr><th>Samtale</th><td>{{ conversation_type }}{% if variant %} ({{ variant }}){% endif %}</td></tr>
<tr><th>Afholdelsesform</th><td>{{ holding_form }}</td></tr>
{% if activity != 'cancellation' %}<tr><th>Mødested</th><td>{{ address }}</td></tr>{% endif %}
{% if not withdrawn %}<tr><th>Sagsbehandler</th><td>{{ caseworkers }}</td></tr>{% endif %}
</table>
{% if letter_text %}<div class="extra">{{ letter_text }}</div>{% endif %}
<div class="ref">{% if withdrawn %}Indkaldelse{% else %}Samtale{% endif %} nr. {{ booking.id }}</div>
</body></html>
"""


class DanishDateTime(datetime):
    """A wall-clock datetime that prints the way a Danish letter writes it."""

    def __str__(self) -> str:
        return format_datetime(self, "EEEE 'den' d. MMMM y 'kl.' HH.mm", locale="da")


def danish_datetime(value: datetime) -> DanishDateTime:
    return DanishDateTime(value.year, value.month, value.day, value.hour, value.minute)


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=256)
def _template(source: str) -> Template:
    """`source` compiled once: compiling costs ten times the merge, and a re-planning merges
    sixty letters from the same few texts (keyed by the text, so an edited template is new)."""
    return _environment().from_string(source)


def _deny_fetch(url: str, *args: Any, **kwargs: Any) -> dict:
    raise ValueError(f"letters may not load {url}")


# ---------------------------------------------------------------------------
# Which letter
# ---------------------------------------------------------------------------

def matching_rule(booking: Booking | CallIn, citizen: Citizen,
                  activity: LetterActivity) -> LetterRule | None:
    """The most specific rule of the booking's variant for this citizen and activity.

    A rule's filters (contact group, holding form, meeting form) are each "all" (None)
    or one value; a rule matches when every set filter equals the booking's or the
    citizen's value. More set filters win; among equals the oldest rule wins. A call-in
    carries the same four facts as the meeting it asks for, so it is matched the same way.
    """
    if booking.variant_id is None:
        return None
    rules = db.session.scalars(select(LetterRule).where(
        LetterRule.variant_id == booking.variant_id,
        LetterRule.conversation_type_id == booking.conversation_type_id,
        LetterRule.activity == activity).order_by(LetterRule.id)).all()
    matching = [r for r in rules
                if r.contact_group_id in (None, citizen.contact_group_id)
                and r.holding_form_id in (None, booking.holding_form_id)
                and r.meeting_form in (None, booking.meeting_form)]
    if not matching:
        return None
    return max(matching, key=lambda r: (r.specificity, -r.id))


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------

def _format_address(holder: Team | Room | Citizen | None) -> str:
    if holder is None or not holder.address:
        return ""
    place = " ".join(p for p in (holder.postal_code, holder.city) if p)
    return f"{holder.address}, {place}" if place else holder.address


def meeting_address(booking: Booking) -> str:
    """Where the citizen is called to: the room's address, else the team's."""
    return _format_address(booking.room) or _format_address(booking.team)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

@dataclass
class RenderedLetter:
    subject: str
    html: str
    text: str
    letter_template_id: int | None


def _paragraphs(rendered: str) -> Markup:
    """Plain text with blank lines between paragraphs, as HTML."""
    blocks = [b.strip("\n") for b in rendered.replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks if b.strip())


def letter_context(booking: Booking, citizen: Citizen, activity: LetterActivity, *,
                   now: datetime, previous: dict | None = None) -> dict[str, Any]:
    template = db.session.get(CallInTemplate, booking.template_id) if booking.template_id else None
    wrapped = _BookingView(booking)
    context: dict[str, Any] = {
        "citizen": citizen, "booking": wrapped, "address": meeting_address(booking),
        "team": booking.team, "room": booking.room,
        "conversation_type": booking.conversation_type.name,
        "variant": booking.variant.name if booking.variant else "",
        "holding_form": booking.holding_form.name,
        "caseworkers": ", ".join(cw.name for cw in booking.caseworkers),
        "activity": activity.value, "cancel_reason": booking.cancel_reason or "",
        "withdrawn": False,
        "letter_text": (template.letter_text or "") if template else "",
        "letter_date": format_datetime(now, "d. MMMM y", locale="da"),
        "sender_address": _format_address(booking.team),
        "citizen_address": _format_address(citizen),
    }
    if previous and previous.get("starts_at"):
        context["previous_starts_at"] = danish_datetime(previous["starts_at"])
    return context


class _BookingView:
    """What a letter may read of a booking; times print in Danish."""

    def __init__(self, booking: Booking) -> None:
        self.id = booking.id
        self.starts_at = danish_datetime(booking.starts_at)
        self.ends_at = danish_datetime(booking.ends_at)
        self.duration_minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
        self.description = booking.description or ""

    def __str__(self) -> str:
        return f"nr. {self.id}"


def render_letter(booking: Booking, citizen: Citizen, activity: LetterActivity, *,
                  now: datetime, previous: dict | None = None) -> RenderedLetter:
    rule = matching_rule(booking, citizen, activity)
    context = letter_context(booking, citizen, activity, now=now, previous=previous)
    return _render(rule.letter_template if rule else None, context, DEFAULT_LETTERS[activity],
                   job_centre_id=booking.job_centre_id)


def render_withdrawal(callin: CallIn, citizen: Citizen, *, reason: str,
                      now: datetime) -> RenderedLetter | None:
    """The letter telling the citizen a waiting call-in is withdrawn (R-6.2), or None when the
    call-in's variant has no cancellation rule for this citizen: then nothing is sent.

    Letter rules are written for meetings; a withdrawn call-in is told with the rule that
    tells a cancelled meeting, since to the citizen both say "you are not to come". The
    letter has no time, place or caseworker: the call-in never had them. A template can
    tell the two apart by `withdrawn`; `booking.starts_at` is empty in a withdrawal.
    """
    rule = matching_rule(callin, citizen, LetterActivity.CANCELLATION)
    if rule is None:
        return None
    context: dict[str, Any] = {
        "citizen": citizen, "booking": _CallInView(callin), "callin": _CallInView(callin),
        "address": "", "team": callin.team, "room": None,
        "conversation_type": callin.conversation_type.name,
        "variant": callin.variant.name if callin.variant else "",
        "holding_form": callin.holding_form.name, "caseworkers": "",
        "activity": LetterActivity.CANCELLATION.value, "cancel_reason": reason,
        "withdrawn": True, "letter_text": "",
        "letter_date": format_datetime(now, "d. MMMM y", locale="da"),
        "sender_address": _format_address(callin.team),
        "citizen_address": _format_address(citizen),
    }
    return _render(rule.letter_template, context, WITHDRAWAL_LETTER,
                   job_centre_id=callin.job_centre_id)


class _CallInView:
    """What a withdrawal letter may read of a call-in: its number and description, no time."""

    def __init__(self, callin: CallIn) -> None:
        self.id = callin.id
        self.starts_at = ""
        self.ends_at = ""
        self.duration_minutes = callin.duration_minutes
        self.description = callin.description or ""

    def __str__(self) -> str:
        return f"nr. {self.id}"


def _render(source: LetterTemplate | None, context: dict[str, Any], default: tuple[str, str], *,
            job_centre_id: int | None) -> RenderedLetter:
    """`source` rendered in the sandbox; `default` when there is none or it does not render."""
    try:
        if source is None:
            raise LookupError
        subject = _template(source.subject).render(context)
        body_text = _template(source.body).render(context)
        template_id: int | None = source.id
    except (LookupError, TemplateError) as error:
        if isinstance(error, TemplateError):
            log.error("Letter template %s does not render: %s", source.id if source else "?", error)
            _system_log(job_centre_id, f"Brevskabelonen »{source.name if source else '?'}« kunne "
                        f"ikke flettes ({error}); standardbrevet blev brugt.")
        default_subject, default_body = default
        subject = _template(default_subject).render(context)
        body_text = _template(default_body).render(context)
        template_id = None
    # The sandbox escaped the values; the text part wants them plain again.
    subject = Markup(subject).unescape()
    page_context = context | {"subject": subject, "body": _paragraphs(Markup(body_text).unescape()),
                              "letter_text": _paragraphs(context["letter_text"])}
    html = _template(_LAYOUT).render(page_context)
    return RenderedLetter(subject=subject, html=html, text=Markup(body_text).unescape(),
                          letter_template_id=template_id)


def render_preview(subject_source: str, body_source: str, context: dict[str, Any]) -> RenderedLetter:
    """A template rendered with `context` (sample data, R-8.4) the way a letter is; errors raise."""
    env = _environment()
    subject = Markup(env.from_string(subject_source or "").render(context)).unescape()
    body_text = Markup(env.from_string(body_source or "").render(context)).unescape()
    html = env.from_string(_LAYOUT).render(context | {
        "subject": subject, "body": _paragraphs(body_text), "letter_text": _paragraphs(context["letter_text"])})
    return RenderedLetter(subject=subject, html=html, text=body_text, letter_template_id=None)


def _system_log(job_centre_id: int | None, message: str) -> None:
    from webapp.models import LogLevel, SystemLogEntry
    db.session.add(SystemLogEntry(level=LogLevel.ERROR, category="letters", message=message,
                                  job_centre_id=job_centre_id))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML
    return HTML(string=html, url_fetcher=_deny_fetch).write_pdf(stylesheets=[_stylesheet()])


@lru_cache(maxsize=1)
def _stylesheet():  # type: ignore[no-untyped-def]
    from weasyprint import CSS
    return CSS(string=_PAGE_CSS)


def create_letter(booking: Booking, citizen: Citizen, activity: LetterActivity, *,
                  now: datetime, previous: dict | None = None) -> tuple[Letter, RenderedLetter]:
    """Merge the letter and keep it with the booking; the caller commits.

    The PDF is not rendered here: WeasyPrint takes a tenth of a second a letter, which a
    re-planning of sixty meetings cannot spend inside its transaction (R-6.4). The merged page
    is kept in the letter until `render_pdf` turns it into the PDF, after the commit: by the
    outbox job (`render_pending`), before its e-mail is sent, or when someone opens the letter.
    A change rolled back leaves no letter to render; a crash after the commit leaves the page.
    """
    rendered = render_letter(booking, citizen, activity, now=now, previous=previous)
    letter = Letter(booking_id=booking.id, citizen_id=citizen.id, activity=activity,
                    letter_template_id=rendered.letter_template_id,
                    filename=f"brev-{booking.id}-{ACTIVITY_NAMES_DA[activity]}-{citizen.id}"
                             f"-{now:%Y%m%d%H%M%S}.pdf",
                    pdf=b"", html=rendered.html, created_at=now)
    db.session.add(letter)
    db.session.flush()
    return letter, rendered


def render_pdf(letter: Letter) -> bytes:
    """The letter's PDF, rendered now when it is still waiting; the caller commits.

    Rendered once: the PDF is stored only while the page is still there, so of two renderings
    at once (the job and a download) the first stored wins and both answer with it. The
    letter's e-mail attachment gets the same bytes.
    """
    if letter.html is None:
        return letter.pdf
    pdf = html_to_pdf(letter.html)
    stored = db.session.execute(
        update(Letter).where(Letter.id == letter.id, Letter.html.is_not(None))
        .values(pdf=pdf, html=None).execution_options(synchronize_session=False)).rowcount
    if stored:
        db.session.execute(
            update(OutboxAttachment).where(OutboxAttachment.letter_id == letter.id)
            .values(data=pdf).execution_options(synchronize_session=False))
    for attachment in db.session.identity_map.values():
        if isinstance(attachment, OutboxAttachment) and attachment.letter_id == letter.id:
            db.session.expire(attachment)
    db.session.expire(letter)
    return letter.pdf


def render_pending(*, limit: int = 200, letter_ids: Iterable[int] | None = None) -> list[int]:
    """Render the letters still waiting for their PDF (all, or those of `letter_ids`), the
    oldest first; commits after each, as a job does. Answers the ids rendered.

    A page WeasyPrint cannot render stays waiting (its e-mail with it) and is written to the
    system log; the others go on.
    """
    query = select(Letter.id).where(Letter.html.is_not(None)).order_by(Letter.id).limit(limit)
    if letter_ids is not None:
        query = query.where(Letter.id.in_(list(letter_ids)))
    done = []
    for letter_id in db.session.scalars(query).all():
        letter = db.session.get(Letter, letter_id)
        if letter is None:
            continue
        try:
            render_pdf(letter)
        except Exception as error:  # WeasyPrint's errors have no common base
            db.session.rollback()
            log.exception("Letter %s could not be rendered", letter_id)
            centre = db.session.scalar(select(Booking.job_centre_id).join(Letter)
                                       .where(Letter.id == letter_id))
            _system_log(centre, f"Brev nr. {letter_id} kunne ikke dannes som PDF "
                                f"({type(error).__name__}); det prøves igen ved næste kørsel.")
        else:
            done.append(letter_id)
        db.session.commit()
    return done


def letters_of(booking_id: int) -> list[Letter]:
    return list(db.session.scalars(select(Letter).where(Letter.booking_id == booking_id)
                                   .order_by(Letter.created_at, Letter.id)))
