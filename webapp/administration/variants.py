"""Conversation type variants and their letter rules (R-1.7.x); the rule that picks a
letter is `webapp.messaging.letters.matching_rule`."""

from __future__ import annotations

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select

from webapp.domain.errors import DomainError
from webapp.domain.mailheaders import check_header_text
from webapp.extensions import db
from webapp.messaging import merge_fields
from webapp.models import LetterTemplate, Variant


def validate_variant(variant: Variant) -> None:
    variant.name = (variant.name or "").strip()
    if not variant.name:
        raise DomainError("Skriv variantens navn.", "Enter the variant's name.", field="name")
    if db.session.scalar(select(Variant.id).where(
            Variant.job_centre_id == variant.job_centre_id,
            func.lower(Variant.name) == variant.name.lower(), Variant.id != (variant.id or 0))):
        raise DomainError(f"Der findes allerede en variant med navnet »{variant.name}«.",
                          f"A variant named '{variant.name}' already exists.", field="name",
                          code="duplicate_name")
    if not variant.conversation_types:
        raise DomainError("Vælg en eller flere samtaletyper, varianten kan bruges til.",
                          "Choose one or more conversation types the variant applies to.",
                          field="conversation_types", code="types_missing")
    if any(team.job_centre_id != variant.job_centre_id for team in variant.teams):
        raise DomainError.of("team_other_job_centre", field="teams")
    seen: set[tuple] = set()
    for rule in variant.letter_rules:
        if rule.conversation_type is None or rule.letter_template is None or rule.activity is None:
            raise DomainError("Hver brevregel skal have samtaletype, aktivitet og brevskabelon.",
                              "Every letter rule needs a conversation type, an activity and a "
                              "letter template.", field="letter_rules", code="letter_rule_incomplete")
        if rule.conversation_type not in variant.conversation_types:
            raise DomainError(
                f"Brevreglen for »{rule.conversation_type.name}« hører til en samtaletype, "
                "som varianten ikke er knyttet til.",
                f"The letter rule for '{rule.conversation_type.name}' is for a conversation type "
                "the variant is not linked to.", field="letter_rules", code="letter_rule_type")
        if rule.letter_template.job_centre_id != variant.job_centre_id:
            raise DomainError("Brevskabelonen hører til et andet jobcenter.",
                              "The letter template belongs to another job centre.",
                              field="letter_rules")
        key = (rule.conversation_type.id, str(rule.activity),
               rule.contact_group.id if rule.contact_group else None,
               rule.holding_form.id if rule.holding_form else None,
               str(rule.meeting_form) if rule.meeting_form else None)
        if key in seen:
            raise DomainError("To brevregler har de samme filtre for samme samtaletype og aktivitet.",
                              "Two letter rules have the same filters for the same conversation "
                              "type and activity.", field="letter_rules", code="letter_rule_duplicate")
        seen.add(key)


def validate_letter_template(template: LetterTemplate) -> None:
    """A letter template must be a Jinja template that parses (§1.8); unique name."""
    template.name = (template.name or "").strip()
    if not template.name:
        raise DomainError("Skriv brevskabelonens navn.", "Enter the letter template's name.",
                          field="name")
    if db.session.scalar(select(LetterTemplate.id).where(
            LetterTemplate.job_centre_id == template.job_centre_id,
            func.lower(LetterTemplate.name) == template.name.lower(),
            LetterTemplate.id != (template.id or 0))):
        raise DomainError(f"Der findes allerede en brevskabelon med navnet »{template.name}«.",
                          f"A letter template named '{template.name}' already exists.",
                          field="name", code="duplicate_name")
    # The subject becomes the e-mail's Subject header: a line break there would add headers.
    check_header_text(template.subject or "", field="subject", label_da="Emnet",
                      label_en="The subject")
    for field in ("subject", "body"):
        try:
            SandboxedEnvironment().parse(getattr(template, field) or "")
        except TemplateSyntaxError as error:
            raise DomainError(
                f"Skabelonen har en fejl i linje {error.lineno}: {error.message}. Tjek {{{{ }}}} og {{% %}}.",
                f"The template has an error on line {error.lineno}: {error.message}.",
                field=field, code="template_syntax") from None
    # a misspelt merge field would print as nothing in every letter; refuse it here.
    for field in ("subject", "body"):
        merge_fields.check_merge_fields(getattr(template, field) or "", field=field)
