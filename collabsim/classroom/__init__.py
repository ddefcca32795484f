"""Classroom mode: a participatory run in which each student plays one organisation.

``collabsim classroom`` (``cli``) starts one shared model in a small web server
(``server``); the ``Room`` (``room``) seats students, checks their tokens and writes
their choices into the compiled month's own inputs, so students play by the model's rules;
``debrief`` keeps what the teacher's debrief shows.
"""
