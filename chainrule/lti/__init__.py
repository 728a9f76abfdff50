"""chainrule as an LTI 1.3 tool: login, launch validation, deep linking, grade passback (AGS).

Registrations come from the JSON file ``CHAINRULE_LTI_PLATFORMS`` names; without it LTI is off.
The JOSE work (JWK, JWS, JWT) is done by joserfc; records live in :mod:`chainrule.db`.
"""
