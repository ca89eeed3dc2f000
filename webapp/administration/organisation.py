"""Job centres and their default team structure (R-1.1.1)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import JobCentre, Team


def create_job_centre(name: str, municipality: str, root_team: str | None = None,
                      child_team: str | None = None) -> JobCentre:
    """A job centre with the default two-level team structure, both named by support.

    When both levels get the same name the child is marked to be renamed first.
    """
    name = name.strip()
    if not name:
        raise DomainError("Skriv jobcentrets navn.", "Enter the job centre's name.", field="name")
    if db.session.scalar(select(JobCentre.id).where(JobCentre.name == name)) is not None:
        raise DomainError(f"Jobcentret »{name}« findes allerede.",
                          f"The job centre '{name}' already exists.", field="name")
    root_name = (root_team or f"{municipality} Jobcenter").strip()
    child_name = (child_team or root_name).strip()
    job_centre = JobCentre(name=name, municipality=municipality.strip())
    root = Team(job_centre=job_centre, name=root_name)
    Team(job_centre=job_centre, name=child_name, parent=root,
         pending_rename=child_name == root_name)
    db.session.add(job_centre)
    db.session.flush()
    return job_centre
