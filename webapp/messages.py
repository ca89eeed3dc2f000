"""The texts of errors and refusals shown in more than one place, in Danish and English, by code."""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    da: str
    en: str


# A code is stable: it crosses boundaries (an exception, a JSON body, a log) and the text is
# rendered at the edge. Where an error answers with its own API code the key is that code;
# a sentence several rules share (e.g. "the meeting does not exist") has one key, and each
# error keeps its own API code. Texts may hold {name} fields, filled by `texts(code, **params)`.
MESSAGES: dict[str, Text] = {
    # Letter templates: webapp/messaging/merge_fields.py
    "letter_unknown_field": Text(
        "Flettefeltet »{name}« findes ikke i breve. Brug et af flettefelterne i listen ved siden af "
        "teksten.",
        "Letters have no merge field '{name}'. Use one of the merge fields listed beside the text."),
    # Booking and self-booking
    "slot_taken": Text("Tiden er desværre taget. Vælg en anden.",
                       "That time has just been taken. Please choose another."),
    "no_seats": Text("Der er ikke flere ledige pladser. Vælg en anden tid.",
                     "No seats are left. Please choose another time."),
    "too_soon": Text("Der kan tidligst bookes fra i morgen.", "Bookings can be made from tomorrow on."),
    "same_time": Text("Vælg et andet tidspunkt end det, du har.", "Choose another time than the one you have."),
    "meeting_not_found": Text("Samtalen findes ikke.", "The meeting does not exist."),
    "already_cancelled": Text("Samtalen er allerede aflyst.", "The meeting is already cancelled."),
    # A booking's terms: webapp/booking/terms.py
    "terms_self_booked": Text("Samtalen er booket af dig selv.", "You booked this meeting yourself."),
    "terms_called_in": Text("Du er indkaldt til samtalen af jobcentret.",
                            "The job centre called you in to this meeting."),
    "terms_rebook_online": Text("Du kan ombooke samtalen på selvbetjeningen indtil {until}.",
                                "You can rebook the meeting online until {until}."),
    "terms_rebook_contact_until": Text(
        "Samtalen kan ikke ombookes online. Skal den flyttes, så kontakt jobcentret senest "
        "{until}: {how}.",
        "The meeting cannot be rebooked online. To move it, contact the job centre by {until}: "
        "{how}."),
    "terms_rebook_contact": Text(
        "Samtalen kan ikke ombookes online. Skal den flyttes, så kontakt jobcentret: {how}.",
        "The meeting cannot be rebooked online. To move it, contact the job centre: {how}."),
    "terms_cancel_online": Text("Du kan melde afbud på selvbetjeningen indtil {until}.",
                                "You can cancel the meeting online until {until}."),
    "terms_cancel_contact": Text(
        "Der kan ikke meldes afbud online. Kan du ikke komme, så kontakt jobcentret: {how}.",
        "The meeting cannot be cancelled online. If you cannot come, contact the job centre: "
        "{how}."),
    "terms_phone": Text("telefon {phone}", "phone {phone}"),
    "terms_email": Text("e-mail {email}", "email {email}"),
    "terms_contact_unknown": Text("se jobcentrets kontaktoplysninger på kommunens hjemmeside",
                                  "see the job centre's contact details on the municipality's "
                                  "website"),
    "cancellation_not_allowed": Text(
        "Denne samtale kan ikke aflyses online. Kontakt jobcentret: {how_da}.",
        "This meeting cannot be cancelled online. Please contact the job centre: {how_en}."),
    "cancellation_too_late": Text(
        "Fristen for afbud var {until_da}. Kontakt jobcentret: {how_da}.",
        "The cancellation deadline was {until_en}. Please contact the job centre: {how_en}."),
    "rebooking_not_allowed": Text(
        "Denne samtale kan ikke ombookes online. Kontakt jobcentret: {how_da}.",
        "This meeting cannot be rebooked online. Please contact the job centre: {how_en}."),
    "rebooking_too_late": Text(
        "Fristen for ombooking var {until_da}. Kontakt jobcentret: {how_da}.",
        "The rebooking deadline was {until_en}. Please contact the job centre: {how_en}."),
    "not_movable": Text("Kun bookede samtaler kan ombookes.", "Only booked meetings can be rebooked."),
    "rebooking_offer_closed": Text(
        "Tilbuddet er lukket, så samtalen kan ikke ombookes online. Kontakt jobcentret: {how_da}.",
        "The offer is closed, so the meeting cannot be rebooked online. Please contact the job "
        "centre: {how_en}."),
    "caseworker_choice_not_allowed": Text("I dette tilbud vælger jobcentret sagsbehandleren.",
                                          "In this offer the job centre chooses the caseworker."),
    "no_caseworker": Text("Vælg mindst én sagsbehandler.", "Choose at least one caseworker."),
    "unknown_caseworker": Text("Ukendt sagsbehandler.", "Unknown caseworker."),
    # Moving a meeting
    "move_changes_nothing": Text(
        "Samtalen har allerede det tidspunkt, den sagsbehandler og det lokale. Vælg et andet "
        "tidspunkt, en anden sagsbehandler eller et andet lokale; der er ikke sendt noget brev.",
        "The meeting already has that time, caseworker and room. Choose another time, caseworker "
        "or room; no letter has been sent."),
    "room_not_in_team": Text("Lokalet hører ikke til samtalens team.",
                             "The room does not belong to the meeting's team."),
    # The national user directory
    "no_directory": Text(
        "Der er ingen forbindelse til AM-portalen, så nye vejledere kan ikke oprettes. "
        "Eksisterende vejledere kan stadig redigeres.",
        "The national user directory is not available, so new caseworkers cannot be created. "
        "Existing caseworkers can still be edited."),
    # A job centre's nightly time
    "allocation_time_format": Text(
        "Skriv tidspunktet for natlig planlægning som TT:MM, fx 02:30, eller lad feltet stå tomt "
        "for at bruge den fælles tid.",
        "Enter the time of the nightly allocation as HH:MM, e.g. 02:30, or leave it empty for the "
        "common time."),
    # A room is used only by the teams it is linked to: templates, call-ins, offers
    "room_not_for_team": Text(
        "Mødelokalet »{room}« er ikke knyttet til teamet »{team}«. Vælg et af teamets lokaler, "
        "eller knyt lokalet til teamet under Mødelokaler.",
        "The meeting room '{room}' is not linked to the team '{team}'. Choose one of the team's "
        "rooms, or link the room to the team under Meeting rooms."),
    # Why is this time not free?: webapp/calendar/explain.py, in the order told
    "why_refused": Text("Tiden er ikke ledig:", "The time is not free:"),
    "why_free": Text("Tiden er ledig.", "The time is free."),
    "datetime_format": Text("Skriv dato og klokkeslæt, fx 2027-03-01 09:00.",
                            "Enter a date and time, e.g. 2027-03-01 09:00."),
    "why_bad_subject": Text("Vælg en sagsbehandler, et lokale eller et tilbud fra teamet.",
                            "Choose a caseworker, room or offer of the team."),
    "why_no_working_time": Text("{name} har ikke arbejdstid om {weekday}en.",
                                "{name} has no working time on {weekday}s."),
    "why_outside_working_time": Text("{name} arbejder kun {start}–{end} om {weekday}en.",
                                     "{name} works only {start}–{end} on {weekday}s."),
    "why_break": Text("{name} holder pause {start}–{end}.", "{name} has a break {start}–{end}."),
    "why_closure_national": Text("{day} er national lukkedag: {closure}.",
                                 "{day} is a national closure day: {closure}."),
    "why_closure_local": Text("{day} er lukkedag for teamet {team}: {closure}.",
                              "{day} is a closure day of the team {team}: {closure}."),
    "why_closure_inherited": Text("{day} er lukkedag arvet fra teamet {team}: {closure}.",
                                  "{day} is a closure day inherited from the team {team}: {closure}."),
    "why_meeting": Text("{name} har samtale nr. {number} {start}–{end}.",
                        "{name} has meeting no. {number} {start}–{end}."),
    "why_room_meeting": Text("Lokalet {room} er optaget af samtale nr. {number} {start}–{end}.",
                             "Room {room} is taken by meeting no. {number} {start}–{end}."),
    # A booking's clash check says the same of a caseworker (webapp/calendar/clashes.py).
    "caseworker_meeting": Text("{name} er optaget af samtale nr. {number} {start}–{end}.",
                               "{name} is busy with meeting no. {number} {start}–{end}."),
    "why_busy_time": Text("{name} er optaget i egen kalender {start}–{end}.",
                          "{name} is busy in their own calendar {start}–{end}."),
    "why_absence": Text("{name} er fraværende ({kind}) {start}–{end}.",
                        "{name} is absent ({kind}) {start}–{end}."),
    "why_room_full": Text("Lokalet {room} er fuldt: alle {seats} pladser på samtale nr. {number} er "
                          "taget.",
                          "Room {room} is full: all {seats} seats of meeting no. {number} are taken."),
    "why_room_too_small": Text("Lokalet {room} har kun plads til {seats} borgere.",
                               "Room {room} seats only {seats} citizens."),
    "why_too_soon": Text("Der skal være mindst en dags varsel: tidligst {day}.",
                         "At least a day's notice is needed: {day} at the earliest."),
    "why_after_offer_end": Text("Tilbuddet {offer} kan kun bookes til og med {day}.",
                                "The offer {offer} can only be booked up to and including {day}."),
    # Forms of call-ins, templates, offers and deadlines
    "conversation_type_missing": Text("Vælg en samtaletype.", "Choose a conversation type."),
    "holding_form_missing": Text("Vælg en afholdelsesform.", "Choose a holding form."),
    "team_missing": Text("Vælg et team.", "Choose a team."),
    "duration_out_of_range": Text("Varigheden skal være mellem 1 og 480 minutter.",
                                  "The duration must be between 1 and 480 minutes."),
    "team_other_job_centre": Text("Et af de valgte teams hører til et andet jobcenter.",
                                  "One of the chosen teams belongs to another job centre."),
    "not_a_number": Text("Skriv et helt tal.", "Enter a whole number."),
    # Citizens and the citizen register
    "citizen_not_in_register": Text(
        "CPR-nummeret {cpr} findes ikke i CPR-registeret. Tjek nummeret; der er ikke gemt noget.",
        "The CPR number {cpr} is not in the citizen register. Check the number; nothing was saved."),
    "citizen_register_unavailable": Text(
        "CPR-registeret svarer ikke lige nu. Prøv igen om lidt; der er ikke gemt noget.",
        "The citizen register does not answer right now. Try again shortly; nothing was saved."),
    "citizen_search_empty": Text("Skriv et CPR-nummer eller et navn.", "Enter a CPR number or a name."),
    "citizen_search_short": Text("Skriv mindst to bogstaver af navnet.",
                                 "Enter at least two letters of the name."),
    # The API, the inbound endpoint and the portal
    "unauthorised": Text("Adgang nægtet: ugyldigt eller manglende token.",
                         "Access denied: missing or invalid token."),
    "citizen_missing": Text("Headeren X-Citizen-CPR mangler.", "The X-Citizen-CPR header is missing."),
    "citizen_not_found": Text("Borgeren er ikke kendt af jobcentret.",
                              "The citizen is not known to the job centre."),
    "invalid_json": Text("Forespørgslen skal være et JSON-objekt.", "The request body must be a JSON object."),
    "json_too_deep": Text("JSON-dokumentet er indlejret for dybt: højst {limit} niveauer.",
                          "The JSON document is nested too deeply: at most {limit} levels."),
    "too_large": Text("Forespørgslen er for stor: højst {kib} KiB.", "The request is too large: at most {kib} KiB."),
    "rate_limited": Text("For mange forespørgsler. Prøv igen om lidt.",
                         "Too many requests. Please try again shortly."),
    "http_error": Text("Forespørgslen kunne ikke gennemføres.", "The request could not be completed."),
    "internal_error": Text("Der opstod en fejl hos jobcentret.", "An error occurred at the job centre."),
    "processing_failed": Text("Beskeden kunne ikke behandles på grund af en intern fejl; den er logget.",
                              "The message could not be processed because of an internal error; it is logged."),
    "database_unavailable": Text("Tjenesten er midlertidigt utilgængelig. Prøv igen om lidt.",
                                 "The service is temporarily unavailable. Please try again shortly."),
    # Error pages: a title and what to do, per HTTP status
    "http_400_title": Text("Forespørgslen kunne ikke læses", "The request could not be read"),
    "http_400": Text("Siden fik data, den ikke kunne læse. Gå tilbage, og prøv igen.",
                     "The page received data it could not read. Go back and try again."),
    "http_403_title": Text("Ingen adgang", "No access"),
    "http_403": Text("Du har ikke adgang til denne side. Log ind med en bruger, der har adgang, "
                     "eller gå til forsiden.",
                     "You do not have access to this page. Log in as a user who has, or go to the front page."),
    "http_404_title": Text("Siden findes ikke", "Page not found"),
    "http_404": Text("Siden findes ikke, eller du har ikke adgang til den. Tjek adressen, eller gå "
                     "til forsiden.",
                     "The page does not exist, or you do not have access to it. Check the address, "
                     "or go to the front page."),
    "http_405_title": Text("Det kan ikke lade sig gøre her", "Not possible here"),
    "http_405": Text("Siden kan ikke bruges på den måde. Gå tilbage, og brug knapperne på siden.",
                     "The page cannot be used that way. Go back and use the buttons on the page."),
    "http_429_title": Text("For mange forsøg", "Too many attempts"),
    "http_429": Text("Du har prøvet mange gange på kort tid. Vent et minut, og prøv igen.",
                     "You have tried many times in a short while. Wait a minute and try again."),
    # Logging in and the admin
    "login_locked": Text("For mange mislykkede forsøg. Af sikkerhedshensyn er login spærret i op til "
                         "{minutes} minutter; prøv igen senere.",
                         "Too many failed attempts. For your security, logging in is blocked for up to "
                         "{minutes} minutes; please try again later."),
    "not_done": Text("Ændringen kunne ikke gennemføres, og intet blev gemt. Prøv igen, eller kontakt "
                     "support, hvis det sker igen.",
                     "The change could not be made and nothing was saved. Try again, or contact "
                     "support if it happens again."),
    # The overview
    "overview_unknown_team": Text("Teamet findes ikke i jobcentret. Vælg et team fra listen.",
                                  "The team does not exist in the job centre. Choose a team from "
                                  "the list."),
    "overview_bad_team": Text("Vælg et team fra listen. Oversigten viser hele jobcentret.",
                              "Choose a team from the list. The overview shows the whole job centre."),
    "overview_bad_job_centre": Text("Vælg et jobcenter fra listen.",
                                    "Choose a job centre from the list."),
    # Absence and re-planning: webapp/calendar/absences.py, webapp/planning/replan.py
    "absence_kind_missing": Text("Vælg en fraværstype: sygdom, ferie, kursus eller andet.",
                                 "Choose a kind of absence: sickness, holiday, course or other."),
    "absence_times_missing": Text("Skriv hvornår fraværet starter og slutter.",
                                  "Enter when the absence starts and ends."),
    "absence_end_before_start": Text("Fraværet skal slutte efter det starter.",
                                     "The absence must end after it starts."),
    "absence_too_long": Text("Et fravær kan højst vare {days} dage; registrér det i flere dele.",
                             "An absence can last at most {days} days; register it in parts."),
    "absence_caseworker_unknown": Text("Sagsbehandleren findes ikke i dit jobcenter.",
                                       "The caseworker does not exist in your job centre."),
    "absence_not_own": Text("Du kan kun registrere og ændre dit eget fravær. En administrator kan "
                            "registrere fravær for andre.",
                            "You can only register and change your own absence. An administrator "
                            "can register absence for others."),
    "absence_not_found": Text("Fraværet findes ikke.", "The absence does not exist."),
    "absence_note_too_long": Text("Bemærkningen må højst være {limit} tegn.",
                                  "The note can be at most {limit} characters."),
    "absence_overlaps": Text("{name} har allerede fravær {span}; ret det i stedet.",
                             "{name} already has an absence {span}; change that one instead."),
    "replan_nothing": Text("Der er ingen samtaler at genplanlægge.",
                           "There are no meetings to re-plan."),
    "replan_changed": Text("Kalenderen har ændret sig siden prøvekørslen; kør den igen.",
                           "The calendar has changed since the dry run; run it again."),
    "replan_tampered": Text("Planen er ikke den, prøvekørslen viste, og er ikke gennemført; "
                            "kør prøvekørslen igen.",
                            "The plan is not the one the dry run showed and was not carried out; "
                            "run the dry run again."),
    # Export of lists
    "bad_export_type": Text(
        "Listen kan kun hentes som CSV eller Excel (xlsx); vælg et af dem under »Eksportér«.",
        "The list can only be downloaded as CSV or Excel (xlsx); choose one of them under 'Export'."),
    # Closure days for one or more teams: webapp/calendar/closures.py
    "closure_teams_missing": Text("Vælg mindst ét team, lukkedagen gælder for.",
                                  "Choose at least one team the closure day applies to."),
    # The directory's look-up by name: webapp/administration/directory_search.py
    "name_search_too_short": Text("Skriv mindst to bogstaver af navnet for at søge.",
                                  "Type at least two letters of the name to search."),
    "name_search_no_match": Text(
        "Ingen i AM-portalen hedder »{name}«. Søg hellere på den fulde e-mailadresse.",
        "Nobody in the national user directory is called '{name}'. Search with the full "
        "e-mail address instead."),
}


def texts(code: str, **params: object) -> Text:
    """The Danish and English text of `code`, with its {fields} filled from `params`."""
    text = MESSAGES[code]
    if not params:
        return text
    return Text(text.da.format(**params), text.en.format(**params))


def text(code: str, language: str, **params: object) -> str:
    """The text of `code` in `language` ("da" or "en"); Danish for any other language."""
    both = texts(code, **params)
    return both.en if language == "en" else both.da
