"""The peer directory: people and organizations, custom profile fields, connections, referrals."""
