"""Team annotation at the desk (issue 17): who is annotating, assignment, the annotator's own sheet
of a double-annotated record, adjudication, the agreement report and the history. The main window
composes ``desk.TeamDesk``; the rest are its dialogs. The Qt-free work is in madpg_core.storage.team,
madpg_core.storage.history, madpg_core.adjudication and madpg_core.agreement."""
