"""Meetings: availability, meeting types, slots, bookings and calendars."""
