"""What the demo organization starts with, so ``make run`` shows the assistant at work with no key.

A small bakery's knowledge base and an assistant (the offline model) on the website inbox: a visitor
on ``/widget/demo`` gets answers, a clarifying question, or a person, exactly as a real business
would after its first hour of setting up.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import require
from frontdesk.authz.subject import AuthSubject

ARTICLES: list[tuple[str, str, list[str]]] = [
    (
        "Opening hours",
        "We are open **Tuesday to Sunday, 7:00 to 18:00**. On Mondays the bakery is closed.",
        ["When are you open?", "What are your opening hours?", "Are you open on Monday?", "What time do you close?"],
    ),
    (
        "Delivery",
        "We deliver within 10 km every weekday morning. Orders placed before 20:00 arrive the next morning; "
        "delivery costs 3 EUR and is free above 30 EUR.",
        ["Do you deliver?", "How much is delivery?", "When will my order arrive?", "Is delivery free?"],
    ),
    (
        "Celebration cakes",
        "Celebration cakes are made to order with three days' notice. Pick a size (6, 8 or 10 portions), "
        "a sponge and a filling; we can write a message on top.",
        ["Can I order a birthday cake?", "How early must I order a cake?", "Do you make wedding cakes?"],
    ),
    (
        "Allergens and gluten-free bread",
        "Every product lists its allergens on the shelf label. We bake a gluten-free loaf on Fridays, "
        "in a separate oven, but the bakery handles wheat flour all day.",
        ["Do you have gluten-free bread?", "Are your products nut free?", "Where can I see the allergens?"],
    ),
    (
        "Refunds",
        "If something is not right, tell us within two days with your receipt or order number and we will "
        "replace it or refund you.",
        ["Can I get a refund?", "My order was wrong", "How do I return something?"],
    ),
]


async def add_demo_content(session: AsyncSession, owner: AuthSubject, inbox_id: uuid.UUID) -> None:
    from frontdesk.assistant.schemas import AssistantCreate
    from frontdesk.assistant.service import create_assistant
    from frontdesk.knowledge.schemas import ArticleCreate, CollectionCreate
    from frontdesk.knowledge.service import create_article, create_collection

    knowledge = require(owner, "knowledge.manage")
    collection = await create_collection(
        session, knowledge, CollectionCreate(name="Bakery FAQ", description="What customers ask us most.")
    )
    for title, body, questions in ARTICLES:
        await create_article(
            session,
            knowledge,
            ArticleCreate(collection_id=collection.id, title=title, body=body, example_questions=questions),
            by="demo",
        )
    await create_assistant(
        session,
        require(owner, "assistants.manage"),
        owner,
        AssistantCreate(
            name="Bakery assistant",
            description="Answers customers on the website from the bakery's FAQ.",
            instructions="You are the friendly assistant of a neighbourhood bakery. Answer briefly.",
            inbox_ids=[inbox_id],
            collection_ids=[collection.id],
        ),
    )
