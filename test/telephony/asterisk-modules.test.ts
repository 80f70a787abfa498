import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * deploy/asterisk/modules.conf loads nothing automatically (autoload = no), so every
 * application and function extensions.conf uses must have its module there — and, in
 * Asterisk 22, what those modules need in turn. A dialplan line added without its module would
 * fail only mid-call on a real PBX; here it fails the test.
 */
const DEPLOY = path.join(__dirname, '..', '..', 'deploy', 'asterisk');

// Where Asterisk 22 keeps each application and dialplan function the hotline uses; `null`: in
// the core (pbx_builtins, pbx_functions, main/), no module to load.
const APPLICATIONS: Record<string, string | null> = {
  Answer: null, NoOp: null, Set: null, Goto: null, GotoIf: null, Hangup: null, Wait: null, WaitExten: null, SayNumber: null,
  // Remote seats: Bridge() lives in main/features.c (and their Local channels in main/core_local.c).
  Bridge: null,
  Gosub: 'app_stack', Return: 'app_stack', Dial: 'app_dial', Playback: 'app_playback', Read: 'app_read', Record: 'app_record',
  UserEvent: 'app_userevent', MixMonitor: 'app_mixmonitor', StopMixMonitor: 'app_mixmonitor', MusicOnHold: 'res_musiconhold',
  // Second legs: the rooms (app_confbridge mixes with bridge_softmix); Busy and Congestion are pbx_builtins.
  ConfBridge: 'app_confbridge', Busy: null, Congestion: null,
};
const FUNCTIONS: Record<string, string | null> = { LOCAL: 'app_stack', FILTER: 'func_strings', FIELDQTY: 'func_strings', CUT: 'func_cut', CHANNEL: 'func_channel', IF: 'func_logic' };
// What a module needs loaded before it in Asterisk 22 (its "requires" / optional_modules that load it).
const NEEDS: Record<string, string[]> = {
  app_stack: ['res_agi'],
  res_agi: ['res_speech'],
  app_mixmonitor: ['func_periodic_hook'],
  func_periodic_hook: ['app_chanspy', 'func_uri'],
  app_chanspy: ['func_groupcount'],
  chan_pjsip: ['res_pjsip', 'res_pjsip_session'],
  res_pjsip: ['res_pjproject', 'res_sorcery_config', 'res_sorcery_memory', 'res_sorcery_astdb'],
  res_pjsip_transport_websocket: ['res_http_websocket'],
  app_confbridge: ['bridge_softmix'],
};

async function loaded(): Promise<{ autoload: string | null; modules: string[] }> {
  const lines = (await fs.readFile(path.join(DEPLOY, 'modules.conf'), 'utf8')).split('\n').map((l) => l.replace(/;.*/, '').trim());
  const autoload = lines.find((l) => /^autoload\s*=/.test(l))?.split('=')[1]!.trim() ?? null;
  const modules = lines.filter((l) => /^load\s*=/.test(l)).map((l) => l.split('=')[1]!.trim().replace(/\.so$/, ''));
  return { autoload, modules };
}

describe('deploy/asterisk/modules.conf', () => {
  it('loads the module of every application and function extensions.conf uses, what they need, and a timing module', async () => {
    const dialplan = (await fs.readFile(path.join(DEPLOY, 'extensions.conf'), 'utf8')).split('\n').map((l) => l.replace(/;.*/, ''));
    const apps = new Set<string>();
    const functions = new Set<string>();
    for (const line of dialplan) {
      const app = /^\s*(?:exten\s*=>\s*[^,]+,[^,]+|same\s*=>\s*[^,]+),(\w+)\(/.exec(line);
      if (app) apps.add(app[1]!);
      for (const f of line.matchAll(/\$\{([A-Z_]+)\(/g)) functions.add(f[1]!);
      for (const f of line.matchAll(/\b(LOCAL)\(/g)) functions.add(f[1]!);
    }
    expect(apps.size).toBeGreaterThan(10);
    const unknown = [...[...apps].filter((a) => !(a in APPLICATIONS)), ...[...functions].filter((f) => !(f in FUNCTIONS))];
    // A new application or function in the dialplan must be added to the tables above, with its module.
    expect(unknown).toEqual([]);

    const { autoload, modules } = await loaded();
    expect(autoload).toBe('no');
    const required = new Set<string>(['pbx_config', 'res_timing_timerfd', 'chan_pjsip', 'res_pjsip_transport_websocket', 'res_srtp', 'res_rtp_asterisk']);
    for (const a of apps) if (APPLICATIONS[a]) required.add(APPLICATIONS[a]!);
    for (const f of functions) if (FUNCTIONS[f]) required.add(FUNCTIONS[f]!);
    for (let grew = true; grew; ) {
      grew = false;
      for (const m of [...required]) for (const n of NEEDS[m] ?? []) if (!required.has(n)) (required.add(n), (grew = true));
    }
    expect([...required].filter((m) => !modules.includes(m)).sort()).toEqual([]);
    expect(modules.filter((m, i) => modules.indexOf(m) !== i)).toEqual([]);
  });
});

/**
 * deploy/asterisk/stasis.conf stops Asterisk making messages nothing of the hotline uses. Declining
 * one behind an event the service listens for would silence that event for good (manager.conf's
 * filters would let through nothing), so each filtered event is tied to its message type here.
 */
const MESSAGE_TYPE_OF_EVENT: Record<string, string | null> = {
  UserEvent: 'ast_multi_user_event_type',
  Hangup: 'ast_channel_snapshot_type',
  BridgeEnter: 'ast_channel_entered_bridge_type',
  DialEnd: 'ast_channel_dial_type',
  // Written by the manager itself, not from a stasis message.
  OriginateResponse: null,
};

// The types Asterisk 22's manager routes (main/manager_channels.c, manager_bridges.c,
// manager_endpoints.c, manager_mwi.c): declining one makes it fail "to initialize manager channel
// handling" and Asterisk does not start (seen for the DTMF, music-on-hold and MixMonitor ones).
const MANAGER_ROUTED = [
  'ast_bridge_merge_message_type', 'ast_bridge_snapshot_type', 'ast_channel_chanspy_start_type', 'ast_channel_chanspy_stop_type',
  'ast_channel_dial_type', 'ast_channel_dtmf_begin_type', 'ast_channel_dtmf_end_type', 'ast_channel_entered_bridge_type',
  'ast_channel_fax_type', 'ast_channel_flash_type', 'ast_channel_hangup_handler_type', 'ast_channel_hangup_request_type',
  'ast_channel_hold_type', 'ast_channel_left_bridge_type', 'ast_channel_mixmonitor_mute_type', 'ast_channel_mixmonitor_start_type',
  'ast_channel_mixmonitor_stop_type', 'ast_channel_moh_start_type', 'ast_channel_moh_stop_type', 'ast_channel_snapshot_type',
  'ast_channel_unhold_type', 'ast_channel_wink_type', 'ast_endpoint_contact_state_type', 'ast_manager_get_generic_type',
  'ast_mwi_state_type', 'ast_mwi_vm_app_type', 'stasis_subscription_change_type',
];

describe('deploy/asterisk/stasis.conf and cdr.conf', () => {
  it('declines no message behind an event the service listens for, nor one Asterisk cannot start without, and keeps CDRs off', async () => {
    const manager = await fs.readFile(path.join(DEPLOY, 'manager.conf'), 'utf8');
    const filtered = [...manager.matchAll(/^eventfilter\s*=\s*Event:\s*(\w+)/gm)].map((m) => m[1]!);
    expect(filtered.sort()).toEqual(Object.keys(MESSAGE_TYPE_OF_EVENT).sort());

    const stasis = (await fs.readFile(path.join(DEPLOY, 'stasis.conf'), 'utf8')).split('\n').map((l) => l.replace(/;.*/, '').trim());
    expect(stasis).toContain('[declined_message_types]');
    const declined = stasis.filter((l) => /^decline\s*=/.test(l)).map((l) => l.split('=')[1]!.trim());
    expect(declined).toContain('ast_channel_varset_type');
    const needed = [...Object.values(MESSAGE_TYPE_OF_EVENT), 'ast_device_state_message_type'].filter((t): t is string => t !== null);
    expect(declined.filter((t) => needed.includes(t))).toEqual([]);
    expect(declined.filter((t) => MANAGER_ROUTED.includes(t))).toEqual([]);

    const cdr = (await fs.readFile(path.join(DEPLOY, 'cdr.conf'), 'utf8')).split('\n').map((l) => l.replace(/;.*/, '').trim());
    expect(cdr).toContain('enable = no');
  });
});
