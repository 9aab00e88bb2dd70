"""Operations: maintenance windows, client-version policy, announcements and status."""
