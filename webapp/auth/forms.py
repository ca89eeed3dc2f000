"""Login forms (CSRF-protected by Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username.")),
                                                     Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class CitizenLoginForm(FlaskForm):
    cpr = StringField(_l("CPR number"), validators=[DataRequired(_l("Enter your CPR number."))])
    code = PasswordField(_l("Code"), validators=[DataRequired(_l("Enter your code."))])
