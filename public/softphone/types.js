// @ts-check
/**
 * The shapes the desk reads from the server (src/agents/gateway/protocol.ts is the source of
 * truth; these follow it) and the desk's own text values. Types only: nothing runs here.
 */

/**
 * Text that must follow the language switch: a key of the page's strings with its parameters,
 * or a zh/en pair the server sent (common/i18n.js).
 * @typedef {import('/common/i18n.js').Text} Text
 */

/** @typedef {import('/common/dom.js').Tone} Tone */

/** @typedef {{ code: string, name: string, nameEn: string }} Region */

/** @typedef {{ code: string, zh: string, en: string }} Label */

/**
 * @typedef {object} Catalogue
 * @property {Label[]} topics
 * @property {Label[]} ticketTypes
 * @property {Label[]} languages
 * @property {Label[]} outcomes
 * @property {Label[]} notReadyReasons
 * @property {{ art31: string[], art32: string[], other: string[] }} matters
 * @property {string[]} departments
 */

/** @typedef {{ forward: boolean, consult: boolean, interpreter: boolean, monitor?: string[] }} Capabilities */

/**
 * @typedef {object} HistoryItem
 * @property {string} ticketId
 * @property {string} number
 * @property {string} at
 * @property {string | null} topic
 * @property {string | null} outcome
 * @property {boolean} riskFlag
 * @property {string} summary
 */

/**
 * @typedef {{ agentId: string } | { region: string } | { language: string } | { number: string }} LegTarget
 */

/**
 * @typedef {object} Leg
 * @property {string} legId
 * @property {'consult' | 'interpreter'} purpose
 * @property {'ringing' | 'talking' | 'merged'} state
 * @property {string} byAgentId
 * @property {LegTarget} to
 * @property {string | null} agentId
 * @property {number} since
 */

/**
 * @typedef {object} CallView
 * @property {string} callId
 * @property {'call' | 'callback' | 'leg'} kind
 * @property {{ purpose: 'consult' | 'interpreter', callId: string, fromAgentId: string }} [leg]
 * @property {string} callerNumber
 * @property {Region} region
 * @property {string} language
 * @property {string} topic
 * @property {number} priority
 * @property {number} enqueuedAt
 * @property {number | null} answeredAt
 * @property {boolean} held
 * @property {Leg | null} [secondLeg]
 * @property {HistoryItem[]} history
 * @property {Leg['state']} [legState] the desk's own: the state of the leg a colleague is on
 */

/** @typedef {{ offerId: string, expiresAt: number, call: CallView }} OfferView */

/**
 * @typedef {object} TicketView
 * @property {string} id
 * @property {string} number
 * @property {string | null} callId
 * @property {string} type
 * @property {string | null} topic
 * @property {string} summary
 * @property {string} advice
 * @property {string | null} outcome
 * @property {boolean} riskFlag
 */

/** @typedef {{ state: string, reason: string | null, since: number, wrapUpEndsAt: number | null }} StateView */

/**
 * @typedef {object} QueueStats
 * @property {number} waiting
 * @property {number} longestWaitSeconds
 * @property {number} agentsReady
 * @property {number} agentsBusy
 * @property {number | null} estimatedWaitSeconds
 */

/** @typedef {{ id: string, username: string, displayName: string, role: string, region: Region, remoteSeat: boolean }} Agent */

/** @typedef {{ id: string, displayName: string, region: Region, state: string, languages: string[] }} Colleague */

/** A node of GET /api/regions' tree: the province, its prefectures and their counties. */
/** @typedef {{ code: string, nameZh: string, namePinyin?: string, children?: RegionNode[] }} RegionNode */

/**
 * A server frame as it arrives: the type names it, the rest is read by its handler (the server
 * checks every frame against the protocol before sending it).
 * @typedef {{ type: string, v?: number, ref?: string, [field: string]: any }} Frame
 */

export {};
