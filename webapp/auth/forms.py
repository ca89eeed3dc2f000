"""Login forms (CSRF-protected by Flask-WTF)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Brugernavn", validators=[DataRequired("Skriv dit brugernavn."),
                                                     Length(max=120)])
    password = PasswordField("Adgangskode", validators=[DataRequired("Skriv din adgangskode.")])


class CitizenLoginForm(FlaskForm):
    cpr = StringField("CPR-nummer", validators=[DataRequired("Skriv dit CPR-nummer.")])
    code = PasswordField("Kode", validators=[DataRequired("Skriv din kode.")])
