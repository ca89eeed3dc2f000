"""Central reference lists: conversation types, holding forms, contact groups (R-1.6)."""

from __future__ import annotations

from typing import NamedTuple


class ConversationTypeRef(NamedTuple):
    code: int  # the national code reported to the data hub
    name_da: str
    name_en: str


class HoldingFormRef(NamedTuple):
    code: str
    name_da: str
    name_en: str


class ContactGroupRef(NamedTuple):
    code: str
    name_da: str
    name_en: str


# the eleven central types, read-only for job centres.
CONVERSATION_TYPES: tuple[ConversationTypeRef, ...] = (
    ConversationTypeRef(4, "Opfølgningssamtale", "Follow-up conversation"),
    ConversationTypeRef(7, "Jobsamtale", "Job conversation"),
    ConversationTypeRef(8, "Henvisning", "Referral"),
    ConversationTypeRef(9, "Informationsmøde", "Information meeting"),
    ConversationTypeRef(10, "CV-samtale", "CV conversation"),
    ConversationTypeRef(11, "Formidlingssamtale", "Placement conversation"),
    ConversationTypeRef(12, "Anden samtale", "Other conversation"),
    ConversationTypeRef(13, "Informationsmøde uden mødepligt",
                        "Information meeting without duty to attend"),
    ConversationTypeRef(15, "Rådighedssamtale", "Availability conversation"),
    ConversationTypeRef(17, "Fælles jobsamtale med a-kasse",
                        "Joint job conversation with the unemployment fund"),
    ConversationTypeRef(19, "Fælles jobsamtale med dagpengemodtager",
                        "Joint job conversation with benefit recipient"),
)

# how a conversation is held.
HOLDING_FORMS: tuple[HoldingFormRef, ...] = (
    HoldingFormRef("in_person", "Personligt fremmøde", "In person"),
    HoldingFormRef("phone", "Telefonisk", "By telephone"),
    HoldingFormRef("video", "Video (digitalt)", "Video (digital)"),
    HoldingFormRef("letter", "Brev", "Letter"),
)

# target groups of citizens, used by offer rules and letter rules.
CONTACT_GROUPS: tuple[ContactGroupRef, ...] = (
    ContactGroupRef("unemployment_benefit", "Dagpengemodtager",
                    "Unemployment benefit recipient"),
    ContactGroupRef("cash_benefit_job_ready", "Jobparat kontanthjælpsmodtager",
                    "Job-ready cash benefit recipient"),
    ContactGroupRef("cash_benefit_activity_ready", "Aktivitetsparat kontanthjælpsmodtager",
                    "Activity-ready cash benefit recipient"),
    ContactGroupRef("sickness_benefit", "Sygedagpengemodtager",
                    "Sickness benefit recipient"),
    ContactGroupRef("job_clarification", "Jobafklaringsforløb", "Job clarification course"),
    ContactGroupRef("resource_course", "Ressourceforløb", "Resource course"),
    ContactGroupRef("education_ready", "Uddannelsesparat", "Education-ready"),
)

CONVERSATION_TYPES_BY_CODE: dict[int, ConversationTypeRef] = {
    t.code: t for t in CONVERSATION_TYPES}
HOLDING_FORMS_BY_CODE: dict[str, HoldingFormRef] = {h.code: h for h in HOLDING_FORMS}
CONTACT_GROUPS_BY_CODE: dict[str, ContactGroupRef] = {g.code: g for g in CONTACT_GROUPS}
