"""Log in with a username or a mobile number."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from audit.fields import blind_index


class UsernameOrMobileBackend(ModelBackend):
    """``ModelBackend`` that also accepts the mobile number of the user's profile.

    A username is tried first; a mobile is only matched when no username does,
    so a username that looks like a number still logs in its own account.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        username = username.strip()
        users = list(
            # the mobile is encrypted: it is found by its blind index
            User.objects.filter(Q(username=username)
                                | Q(profile__mobile_index=blind_index(username)))[:2]
        )
        user = next((u for u in users if u.username == username), None)
        if user is None and len(users) == 1:
            user = users[0]
        if user is None:
            # run the hasher anyway so timing does not reveal unknown accounts
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
