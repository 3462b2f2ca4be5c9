"""Sign-in forms of the staff pages and the admin.

Django's AuthenticationForm sets the username field's max_length after the field is built, so it only reaches
the browser's maxlength attribute, never a validator: an overlong name went on to authenticate(), and
django-axes then failed to store it (varchar(255) on PostgreSQL: a 500). Here it is a field error.
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class _UsernameLengthChecked:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class StaffAuthenticationForm(_UsernameLengthChecked, AuthenticationForm):
    pass


class StaffAdminAuthenticationForm(_UsernameLengthChecked, AdminAuthenticationForm):
    pass
