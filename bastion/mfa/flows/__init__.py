"""Orchestration of second factors: enrol, sign in, step up — with step-up checks, audit and email."""
