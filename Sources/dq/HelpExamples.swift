/// The examples each command's `--help` ends with, kept in one place so they read as
/// one set. A test runs every one of them (`HelpExampleTests`), on a store holding a
/// queue `jobs` (with a dead letter, a delayed and a leased message), `photos`, the dict `config`, the list `todo`, the
/// counter `done`, the event `deploy-done`, a message on the pipe `chat` and the schedule `nightly`.
enum HelpExamples {
    /// `text` followed by the examples of `command` (its words after `dq`).
    static func discussion(_ command: String, _ text: String = "") -> String {
        let lines = examples(command)
        guard !lines.isEmpty else { return text }
        let block = "Examples:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
        return text.isEmpty ? block : text + "\n\n" + block
    }

    /// The lines, each one shell command line of at most 76 characters.
    // A switch, not a dictionary literal: hashing its keys would cost every dq start
    // protocol-conformance look-ups.
    static func examples(_ command: String) -> [String] {
        switch command {
        case "": ["dq put jobs 'resize cat.png'", "dq get jobs --timeout 5s", "dq --db ./queues.db put jobs hello"]
        case "put": ["dq put jobs 'resize cat.png'", "find . -name '*.png' | dq put jobs --lines", "dq put photos < cat.png",
                     "dq put jobs urgent --priority 9", "dq put jobs later --delay 1h30m", "dq put jobs once --key order-17",
                     "dq put jobs rebuild --key rebuild --unique-until started"]
        case "get": ["dq get jobs --timeout 5s", "dq get photos --raw > copy.png", "dq get jobs -n 10 --no-wait --json | jq -r .body",
                     "while body=$(dq get jobs --timeout 1s); do echo \"got $body\"; done"]
        case "call": ["dq call upper hello --timeout 1s || echo 'no reply within 1s'",
                      "dq worker upper --exit-when-empty -- tr a-z A-Z"]
        case "ack": [#"dq ack jobs "$(dq get jobs --lease 1m --json | jq -r .receipt)""#]
        case "nack": [#"dq nack jobs "$(dq get jobs --lease 1m --json | jq -r .receipt)" --delay 30s"#]
        case "extend": [#"dq extend jobs "$(dq get jobs --lease 1m --json | jq -r .receipt)" 10m"#]
        case "peek": ["dq peek jobs -n 5", "dq peek jobs --json | jq -r .id", "dq peek jobs --delayed",
                      "dq peek jobs --leased --json"]
        case "queues": ["dq queues", #"for q in $(dq queues); do echo "$q: $(dq len "$q")"; done"#]
        case "drop": ["dq drop photos", "dq drop orders --stream --json"]
        case "show": [#"dq show jobs "$(dq peek jobs --json | jq -r .id)" --json"#]
        case "delete": [#"dq delete jobs "$(dq peek jobs --json | jq -r .id)""#]
        case "move": ["dq move jobs jobs-later -n 2", "dq move jobs jobs-fixed --dead"]
        case "len": ["dq len jobs", #"[ "$(dq len jobs)" -lt 1000 ] && dq put jobs more"#]
        case "purge": ["dq purge jobs --json", "dq purge jobs --dead"]
        case "dead": ["dq dead jobs", "dq dead jobs --json | jq -r '[.id, .dead_at, .last_error] | @tsv'"]
        case "retry-dead": [#"dq retry-dead jobs "$(dq dead jobs --json | jq -r .id | head -n 1)""#, "dq retry-dead jobs --json"]
        case "worker": ["dq worker jobs -j 4 --timeout 10m --exit-when-empty -- ./resize.sh",
                        "dq worker jobs --max-running 2 --rate 20/s --exit-when-empty -- ./resize.sh"]
        case "schedule": ["dq schedule add cleanup jobs --every 1h 'purge tmp'", "dq schedule list"]
        case "schedule add": ["dq schedule add cleanup jobs --every 1h 'purge tmp'",
                              "dq schedule add report jobs --cron '0 8 * * mon-fri' weekly",
                              "echo '{\"full\": true}' | dq schedule add backup jobs --cron @daily"]
        case "schedule list": ["dq schedule list", "dq schedule list --json | jq -r '[.name, .next_due] | @tsv'"]
        case "schedule remove": ["dq schedule remove nightly"]
        case "schedule run": ["dq schedule run nightly"]
        case "schedule run-due": ["dq schedule run-due"]
        case "publish": ["dq publish orders 'order 17 paid'", "dq publish orders --lines --max-len 100000 < events.txt",
                         "dq publish orders --key order-17 --json 'order 17 paid'"]
        case "subscribe": ["dq subscribe orders --group billing --timeout 5s",
                           "dq subscribe orders --group audit --from first -n 100 --no-wait",
                           "dq subscribe orders --group mail --lease 5m --json > leased.json",
                           #"dq ack orders "$(jq -r .receipt leased.json)""#]
        case "read": ["dq read orders --from 2 -n 10", "dq read orders --json | jq -r '[.seq, .body] | @tsv'"]
        case "groups": ["dq groups orders", "dq groups orders --json | jq '.groups[] | {group, lag}'"]
        case "web": ["dq web", "DQ_WEB_TOKEN=$(openssl rand -hex 16) dq web --listen 0.0.0.0:8080",
                     "dq web --listen 127.0.0.1:0 --read-only --db postgres://dq@db.internal/dq"]
        case "streams": ["dq streams", "dq streams --json | jq -r '[.stream, .length] | @tsv'"]
        case "trim": ["dq trim orders --max-len 100000", "dq trim orders --max-age 7d --json", "dq trim orders --retain acked"]
        case "kv": ["dq kv set config mode fast", "dq kv get config mode"]
        case "kv set": ["dq kv set config mode fast", "echo '{\"retries\": 3}' | dq kv set config settings -",
                        "dq kv set locks leader \"$HOSTNAME\" --if-absent || echo taken"]
        case "kv get": ["mode=$(dq kv get config mode)", "dq kv get config settings --raw > settings.json"]
        case "kv del": ["dq kv del config mode"]
        case "kv keys": ["dq kv keys config"]
        case "kv items": ["dq kv items config", "dq kv items config --json | jq -r .key"]
        case "kv wait": ["dq kv wait config mode --timeout 5s", "dq kv wait config mode --changed --timeout 1s || echo same"]
        case "kv cas": ["dq kv cas config leader worker-1 worker-2"]
        case "kv drop": ["dq kv drop config"]
        case "list": ["dq list append todo 'write docs'", "dq list items todo"]
        case "list append": ["dq list append todo 'write docs' 'ship it'"]
        case "list items": ["dq list items todo", "dq list items todo --json | jq -r .value"]
        case "list len": ["dq list len todo"]
        case "list pop": ["dq list pop todo"]
        case "list drop": ["dq list drop todo"]
        case "counter": ["dq counter add done", "dq counter get done"]
        case "counter add": ["dq counter add done", "dq counter add done -5"]
        case "counter get": ["dq counter get done"]
        case "counter set": ["dq counter set done 0"]
        case "counter wait": ["dq counter wait done 100 --timeout 5s"]
        case "counter drop": ["dq counter drop done"]
        case "lock": ["dq lock deploy --timeout 30s -- ./migrate.sh"]
        case "event": ["dq event set paused", "dq event is-set paused && echo paused"]
        case "event set": ["dq event set paused"]
        case "event clear": ["dq event clear paused"]
        case "event is-set": ["if dq event is-set paused; then echo paused; fi"]
        case "event wait": ["dq event wait deploy-done --timeout 5s"]
        case "event drop": ["dq event drop deploy-done"]
        case "pipe": ["dq pipe send chat --end first ping", "dq pipe recv chat --end second --timeout 5s"]
        case "pipe send": ["dq pipe send chat --end first ping", "tar c cat.png | dq pipe send build --end first"]
        case "pipe recv": ["reply=$(dq pipe recv chat --end second --timeout 5s)"]
        case "pipe drop": ["dq pipe drop chat"]
        case "stats": ["dq stats", "dq stats --json | jq -r '.queues[] | select(.dead > 0) | .name'"]
        case "doctor": ["dq doctor", "dq doctor --json | jq -r .status"]
        case "bench": ["dq bench --quick --workload W1,W5"]
        case "torture": ["dq torture --seconds 3"]
        default: []
        }
    }
}
