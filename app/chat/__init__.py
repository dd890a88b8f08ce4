"""Live chat: channels, direct messages, presence and history over Socket.IO.

Services (``channels``, ``messages``, ``reads``) hold the rules; ``sockets`` and
``views`` are the two boundaries that call them; ``live`` pushes events to browsers
after a commit, from any process (through the message queue when one is configured).
"""
