"""Events, for staff: creating one (`creation`), changing it (`editing`), the list and details
(`management`), and the invitation links (`links`).
"""
