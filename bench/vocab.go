package bench

import "strings"

// The generator's vocabulary: programming topics with their words,
// two-word phrases, identifiers, file paths, error strings and the
// language their stack traces and code are written in. Fields are
// "|"-separated to keep the table readable; init splits them.

type topicSpec struct {
	name    string
	lang    string // go, py, ts, java, rust
	terms   string // single words, most frequent first
	phrases string // two-word phrases
	idents  string // identifiers as they appear in code
	files   string // paths
	errors  string // error strings as tools print them
	titles  string // conversation titles; %s takes a phrase
}

// topic is a topicSpec split into lists.
type topic struct {
	name, lang                                    string
	terms, phrases, idents, files, errors, titles []string
}

var topicSpecs = []topicSpec{
	{"jwt-auth", "go",
		"token|jwt|expiry|claims|signature|refresh|issuer|audience|bearer|leeway|session|login|secret|rotation|header",
		"refresh token|signing key|expired token|access token|token lifetime|clock skew|auth middleware",
		"verifyToken|parseClaims|JWT_SECRET|AuthMiddleware|issueAccessToken|refreshSession|jwt.ParseWithClaims|TokenExpiry",
		"internal/auth/jwt.go|internal/auth/middleware.go|pkg/session/refresh.go|cmd/api/auth_handler.go|config/auth.yaml",
		"token is expired|ErrTokenExpired|signature is invalid|TokenExpiredError: jwt expired|401 Unauthorized",
		"Fix %s in the login flow|Why does the %s fail|Review of %s handling|Debugging %s"},
	{"oauth-sso", "ts",
		"oauth|oidc|callback|consent|scope|provider|redirect|sso|saml|tenant|identity|nonce|pkce|state|userinfo",
		"redirect uri|authorization code|id token|client secret|identity provider|consent screen",
		"handleOAuthCallback|exchangeCodeForToken|OIDC_CLIENT_ID|getUserInfo|validateNonce|buildAuthorizeUrl|PkceVerifier",
		"src/auth/oauth.ts|src/auth/callback.ts|src/config/providers.ts|server/routes/sso.ts|docs/sso-setup.md",
		"invalid_grant|redirect_uri_mismatch|invalid_client|state mismatch|AADSTS50011",
		"Set up %s with Entra ID|Debug %s during sign-in|%s for Google Workspace|Broken %s after upgrade"},
	{"postgres-migrations", "go",
		"migration|schema|column|rollback|alter|constraint|index|default|backfill|version|lock|table|downtime|enum|trigger",
		"schema migration|foreign key|not null|lock timeout|zero downtime|migration file",
		"MigrateUp|schema_migrations|AddColumnIfMissing|golang-migrate|RunMigrations|migrateDown|BackfillUserIDs",
		"migrations/0042_add_orders.up.sql|db/migrate.go|internal/store/schema.sql|scripts/migrate.sh|migrations/0043_backfill.down.sql",
		"Dirty database version 42. Fix and force version.|relation \"orders\" already exists|column \"user_id\" contains null values|canceling statement due to lock timeout",
		"Write a %s for orders|Roll back the %s|%s locks the table|Plan a %s"},
	{"postgres-performance", "py",
		"query|index|explain|planner|vacuum|bloat|seqscan|latency|statistics|partition|join|cost|analyze|btree|cache",
		"slow query|sequential scan|query plan|missing index|index scan|table bloat",
		"EXPLAIN ANALYZE|pg_stat_statements|work_mem|autovacuum|get_orders_by_customer|random_page_cost|idx_orders_created_at",
		"app/db/queries.py|app/repositories/orders.py|sql/reports/monthly.sql|ops/postgresql.conf|app/db/session.py",
		"canceling statement due to statement timeout|could not resize shared memory segment|deadlock detected|out of shared memory",
		"Speed up a %s|Why is this %s so slow|Tune %s for reports|Investigate %s in production"},
	{"connection-pool", "go",
		"pool|connection|timeout|idle|leak|exhausted|max|dial|keepalive|socket|pgbouncer|acquire|release|database|limit",
		"connection pool|pool exhausted|idle timeout|max connections|connection leak|too many clients",
		"pgxpool.New|MaxConns|db.SetMaxOpenConns|AcquireConn|ConnMaxLifetime|poolStats|DB_POOL_SIZE",
		"internal/db/pool.go|internal/db/config.go|deploy/pgbouncer.ini|cmd/worker/main.go|internal/health/db.go",
		"FATAL: sorry, too many clients already|context deadline exceeded|failed to connect to `host=db`|dial tcp 10.0.3.7:5432: i/o timeout",
		"Debug %s under load|Fix %s in the worker|Tune the %s|Too many connections: %s"},
	{"react-state", "ts",
		"hook|state|render|effect|props|context|reducer|memo|component|dependency|closure|stale|suspense|store|selector",
		"infinite loop|stale closure|dependency array|context provider|derived state|re-render storm",
		"useEffect|useState|useMemo|useCallback|useReducer|AuthContext|useAuthToken|React.memo|setItems",
		"src/components/Dashboard.tsx|src/hooks/useAuthToken.ts|src/context/AuthContext.tsx|src/components/CartList.tsx|src/store/cart.ts",
		"Maximum update depth exceeded|Too many re-renders. React limits the number of renders|Cannot update a component while rendering a different component|Rendered more hooks than during the previous render",
		"Fix %s in the dashboard|%s in a custom hook|Why this %s happens|Refactor %s"},
	{"css-layout", "ts",
		"grid|flexbox|layout|responsive|breakpoint|overflow|margin|padding|alignment|sticky|column|viewport|tailwind|spacing|zindex",
		"css grid|media query|flex wrap|sticky header|dark mode|design tokens",
		"grid-template-columns|justify-content|align-items|minmax|ThemeProvider|className|tailwind.config.js|clamp()",
		"src/styles/layout.css|src/components/Card.module.css|tailwind.config.js|src/theme/tokens.ts|src/components/Navbar.tsx",
		"Warning: Prop `className` did not match|ResizeObserver loop limit exceeded|layout shift on load|horizontal scrollbar on mobile",
		"Responsive %s for cards|%s breaks on mobile|Align items with %s|Clean up %s"},
	{"docker-build", "py",
		"docker|image|layer|dockerfile|container|build|cache|registry|multistage|entrypoint|volume|compose|alpine|buildkit|tag",
		"docker image|build cache|multi stage|base image|image size|docker compose",
		"docker buildx|COPY --from=builder|ENTRYPOINT|HEALTHCHECK|docker-compose.yml|DOCKER_BUILDKIT|requirements.txt",
		"Dockerfile|docker-compose.yml|.dockerignore|deploy/Dockerfile.worker|scripts/entrypoint.sh",
		"failed to solve: process \"/bin/sh -c pip install -r requirements.txt\" did not complete successfully|no space left on device|exec format error|manifest unknown",
		"Shrink the %s|Speed up %s in CI|%s fails on arm64|Fix the %s"},
	{"kubernetes-deploy", "go",
		"pod|deployment|kubectl|helm|probe|crashloop|namespace|replica|ingress|configmap|secret|rollout|node|resource|limit",
		"readiness probe|liveness probe|rolling update|resource limits|helm chart|crash loop",
		"kubectl rollout status|CrashLoopBackOff|OOMKilled|values.yaml|livenessProbe|imagePullSecrets|HorizontalPodAutoscaler",
		"deploy/helm/api/values.yaml|deploy/k8s/deployment.yaml|deploy/k8s/ingress.yaml|charts/worker/templates/hpa.yaml|deploy/k8s/configmap.yaml",
		"Back-off restarting failed container|Readiness probe failed: HTTP probe failed with statuscode: 503|ImagePullBackOff|0/3 nodes are available: 3 Insufficient memory",
		"Pods stuck in %s|Fix the %s of the api|Debug a %s|Configure %s"},
	{"ci-pipeline", "py",
		"pipeline|workflow|runner|artifact|cache|job|step|matrix|action|secret|trigger|coverage|lint|release|badge",
		"github actions|build matrix|cache key|workflow dispatch|pull request|release pipeline",
		"actions/checkout@v4|actions/cache@v4|GITHUB_TOKEN|runs-on|needs:|workflow_dispatch|setup-python",
		".github/workflows/ci.yml|.github/workflows/release.yml|.gitlab-ci.yml|Makefile|scripts/ci/test.sh",
		"Process completed with exit code 1.|Resource not accessible by integration|The job was canceled because|Error: Unable to locate executable file: go",
		"Speed up the %s|%s fails only in CI|Add a %s|Cache dependencies in the %s"},
	{"go-concurrency", "go",
		"goroutine|channel|mutex|deadlock|race|waitgroup|context|cancel|select|worker|lock|atomic|buffer|leak|scheduler",
		"data race|worker pool|context cancellation|buffered channel|goroutine leak|fan out",
		"sync.WaitGroup|sync.Mutex|errgroup.WithContext|ctx.Done()|runtime.NumGoroutine|processBatch|select {",
		"internal/worker/pool.go|internal/queue/consumer.go|pkg/fanout/fanout.go|cmd/ingest/main.go|internal/worker/pool_test.go",
		"fatal error: all goroutines are asleep - deadlock!|WARNING: DATA RACE|panic: send on closed channel|context canceled",
		"Find the %s in the ingester|%s in the worker pool|Debug a %s|Design a %s"},
	{"python-packaging", "py",
		"pip|venv|package|dependency|import|module|wheel|poetry|version|requirements|pyproject|install|path|conda|lockfile",
		"virtual environment|dependency conflict|editable install|import error|pinned versions|package index",
		"pyproject.toml|pip install -e .|poetry lock|sys.path|__init__.py|importlib.metadata|PYTHONPATH",
		"pyproject.toml|requirements.txt|setup.cfg|src/app/__init__.py|poetry.lock",
		"ModuleNotFoundError: No module named 'app'|ImportError: cannot import name 'BaseSettings' from 'pydantic'|ResolutionImpossible|error: externally-managed-environment",
		"Resolve a %s|%s after the upgrade|Set up a %s|Fix the %s"},
	{"rust-borrow", "rust",
		"borrow|lifetime|ownership|reference|mutable|clone|trait|generic|async|future|box|arc|compiler|crate|cargo",
		"borrow checker|lifetime annotation|mutable borrow|trait object|async block|move semantics",
		"Arc<Mutex<T>>|impl Trait|Box<dyn Error>|tokio::spawn|&mut self|Cargo.toml|#[derive(Clone)]",
		"src/main.rs|src/store.rs|src/handlers/mod.rs|Cargo.toml|src/lib.rs",
		"error[E0502]: cannot borrow `self` as mutable because it is also borrowed as immutable|error[E0597]: `x` does not live long enough|error[E0382]: borrow of moved value|future cannot be sent between threads safely",
		"Satisfy the %s|%s in the store|Understand %s|Fix %s errors"},
	{"node-network", "ts",
		"fetch|request|retry|socket|proxy|timeout|http|backoff|dns|tls|agent|keepalive|reset|response|network",
		"connection reset|retry with backoff|socket hang up|keep alive|proxy settings|request timeout",
		"ERR_CONNECTION_RESET|ECONNRESET|axios.create|fetchWithRetry|AbortController|http.Agent|undici",
		"src/api/client.ts|src/lib/fetchWithRetry.ts|src/services/payments.ts|server/proxy.ts|src/hooks/useAuthToken.ts",
		"Error: socket hang up|TypeError: fetch failed|net::ERR_CONNECTION_RESET|Error: connect ECONNREFUSED 127.0.0.1:3000",
		"Handle %s in the client|Debug %s from the api|Add %s|%s behind the proxy"},
	{"caching-redis", "py",
		"cache|redis|ttl|eviction|invalidation|key|hit|miss|memory|cluster|stampede|serialization|lock|expire|warmup",
		"cache invalidation|cache stampede|eviction policy|hit rate|distributed lock|cache key",
		"redis.set|SETEX|maxmemory-policy|cache_get_or_set|REDIS_URL|lru_cache|RedisCluster",
		"app/cache.py|app/services/catalog.py|config/redis.conf|app/decorators/cached.py|app/locks.py",
		"redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.|OOM command not allowed when used memory > 'maxmemory'|MOVED 3999 127.0.0.1:6381|CROSSSLOT Keys in request don't hash to the same slot",
		"Add a %s for the catalog|Prevent %s|%s for sessions|Debug %s"},
	{"kafka-queue", "java",
		"kafka|consumer|producer|topic|partition|offset|lag|rebalance|broker|group|commit|retry|deadletter|schema|throughput",
		"consumer lag|consumer group|dead letter|exactly once|partition key|offset commit",
		"KafkaConsumer|enable.auto.commit|max.poll.records|commitSync|OrderEventListener|@KafkaListener|ProducerRecord",
		"src/main/java/com/acme/events/OrderEventListener.java|src/main/resources/application.yml|src/main/java/com/acme/events/Producer.java|deploy/kafka/topics.yaml|src/main/java/com/acme/config/KafkaConfig.java",
		"CommitFailedException: Commit cannot be completed since the group has already rebalanced|org.apache.kafka.common.errors.TimeoutException|RecordTooLargeException|NotLeaderOrFollowerException",
		"Reduce %s on orders|Handle %s|%s keeps growing|Design the %s"},
	{"terraform-infra", "py",
		"terraform|module|state|provider|plan|apply|resource|variable|output|backend|vpc|subnet|iam|drift|workspace",
		"terraform state|remote backend|state lock|iam policy|security group|resource drift",
		"terraform plan|aws_s3_bucket|terraform import|for_each|depends_on|tfvars|aws_iam_role_policy",
		"infra/main.tf|infra/modules/vpc/main.tf|infra/variables.tf|infra/envs/prod.tfvars|infra/backend.tf",
		"Error acquiring the state lock|Error: Cycle: module.vpc|AccessDenied: User is not authorized to perform: iam:PassRole|Error: Provider produced inconsistent final plan",
		"Fix %s in prod|Import existing %s|Refactor the %s module|Recover %s"},
	{"testing-flaky", "go",
		"test|flaky|mock|fixture|assertion|timeout|parallel|coverage|snapshot|retry|setup|teardown|integration|stub|seed",
		"flaky test|test fixture|integration test|race condition|mock server|golden file",
		"t.Parallel()|require.Eventually|httptest.NewServer|TestMain|gomock|testcontainers|go test -race",
		"internal/api/handler_test.go|internal/store/store_test.go|testdata/golden/report.json|internal/testutil/fixtures.go|e2e/checkout_test.go",
		"--- FAIL: TestCheckout (5.02s)|panic: test timed out after 10m0s|Error Trace: handler_test.go:88|expected: 3 actual: 2",
		"Stabilize a %s|Why this %s fails in CI|Write an %s|Replace the %s"},
	{"memory-leak", "go",
		"memory|heap|leak|allocation|profile|gc|oom|pprof|buffer|growth|retention|goroutine|slice|map|finalizer",
		"memory leak|heap profile|out of memory|garbage collector|allocation rate|resident memory",
		"pprof.WriteHeapProfile|runtime.ReadMemStats|GOMEMLIMIT|sync.Pool|go tool pprof|bytes.Buffer|debug.FreeOSMemory",
		"internal/cache/lru.go|cmd/api/main.go|internal/export/writer.go|internal/metrics/collector.go|profiles/heap.pb.gz",
		"fatal error: runtime: out of memory|OOMKilled|runtime: VirtualAlloc of 1048576 bytes failed|container memory usage above 95%",
		"Track down a %s|%s in the exporter|Read a %s|Reduce %s"},
	{"api-pagination", "ts",
		"pagination|cursor|offset|limit|page|endpoint|sort|filter|keyset|response|total|next|api|rest|query",
		"cursor pagination|keyset pagination|page size|next cursor|rest api|sort order",
		"nextCursor|encodeCursor|pageSize|listOrders|LIMIT $1 OFFSET $2|hasMore|paginate()",
		"src/routes/orders.ts|src/lib/pagination.ts|api/openapi.yaml|src/db/orders.ts|docs/api/pagination.md",
		"400 Bad Request: invalid cursor|duplicate items across pages|RangeError: Invalid array length|timeout on page 500",
		"Switch to %s|Fix %s in listOrders|Design %s|%s returns duplicates"},
	{"graphql", "ts",
		"graphql|resolver|schema|query|mutation|dataloader|subscription|field|type|federation|fragment|apollo|batch|nplusone|directive",
		"n plus one|graphql schema|resolver chain|apollo client|persisted queries|input type",
		"DataLoader|ApolloServer|useQuery|resolveReference|@key(fields: \"id\")|gql`|buildSubgraphSchema",
		"src/graphql/schema.graphql|src/graphql/resolvers/order.ts|src/graphql/loaders.ts|src/apollo/client.ts|gateway/supergraph.yaml",
		"Cannot return null for non-nullable field Order.customer|GraphQLError: Unknown argument|Cannot query field \"total\" on type \"Order\"|Variable \"$id\" of required type \"ID!\" was not provided",
		"Fix the %s in orders|Batch %s with DataLoader|Design a %s|%s errors"},
	{"typescript-types", "ts",
		"type|generic|interface|inference|union|narrowing|compiler|strict|declaration|enum|tsconfig|any|unknown|overload|module",
		"type inference|discriminated union|type guard|generic constraint|strict mode|declaration file",
		"tsconfig.json|keyof typeof|Partial<T>|ReturnType<typeof|satisfies|as const|Record<string, unknown>",
		"tsconfig.json|src/types/api.d.ts|src/lib/assertNever.ts|src/models/order.ts|src/utils/guards.ts",
		"TS2322: Type 'string | undefined' is not assignable to type 'string'.|TS2345: Argument of type|TS7053: Element implicitly has an 'any' type|TS2589: Type instantiation is excessively deep and possibly infinite.",
		"Type a %s|Fix %s errors|Model orders with a %s|Enable %s"},
	{"logging-observability", "go",
		"log|trace|span|metric|dashboard|alert|otel|prometheus|grafana|sampling|label|cardinality|histogram|exporter|correlation",
		"structured logging|distributed tracing|trace id|high cardinality|alert rule|log level",
		"slog.With|otel.Tracer|prometheus.NewHistogramVec|trace_id|OTEL_EXPORTER_OTLP_ENDPOINT|zap.NewProduction|span.RecordError",
		"internal/telemetry/otel.go|internal/log/logger.go|deploy/grafana/dashboards/api.json|deploy/prometheus/alerts.yaml|internal/middleware/tracing.go",
		"traces export: context deadline exceeded|too many series: cardinality limit exceeded|failed to export spans|err=\"scrape timeout\"",
		"Add %s to the api|Reduce %s in metrics|Set up %s|Missing %s"},
	{"payments-stripe", "py",
		"payment|stripe|webhook|invoice|subscription|refund|checkout|customer|charge|idempotency|signature|plan|billing|dispute|coupon",
		"stripe webhook|checkout session|idempotency key|webhook signature|subscription renewal|payment intent",
		"stripe.Webhook.construct_event|STRIPE_WEBHOOK_SECRET|PaymentIntent.create|invoice.payment_failed|customer.subscription.updated|handle_checkout_completed",
		"app/billing/webhooks.py|app/billing/checkout.py|app/models/subscription.py|tests/billing/test_webhooks.py|config/stripe.py",
		"stripe.error.SignatureVerificationError: No signatures found matching the expected signature for payload|No such customer: 'cus_Q1x'|card_declined|idempotency_key_in_use",
		"Verify the %s|Handle %s events|Fix %s retries|Debug a failed %s"},
	{"s3-storage", "py",
		"s3|bucket|upload|presigned|object|multipart|cors|acl|lifecycle|prefix|download|storage|cdn|policy|region",
		"presigned url|multipart upload|bucket policy|cors configuration|lifecycle rule|signed upload",
		"generate_presigned_url|boto3.client('s3')|put_object|upload_fileobj|S3_BUCKET|CreateMultipartUpload|x-amz-acl",
		"app/storage/s3.py|app/routes/uploads.py|infra/s3.tf|frontend/src/upload.ts|config/cors.json",
		"SignatureDoesNotMatch|AccessDenied: Access Denied|EntityTooLarge|No 'Access-Control-Allow-Origin' header is present on the requested resource",
		"Upload files with a %s|Fix %s errors|Configure %s|Large files: %s"},
	{"git-merge", "py",
		"git|merge|rebase|conflict|branch|commit|cherry|squash|history|remote|stash|bisect|hook|tag|revert",
		"merge conflict|interactive rebase|force push|cherry pick|commit history|pre commit",
		"git rebase -i|git cherry-pick|git bisect|git reflog|.pre-commit-config.yaml|git push --force-with-lease|HEAD~3",
		".git/hooks/pre-commit|.pre-commit-config.yaml|.gitattributes|CONTRIBUTING.md|scripts/release.sh",
		"CONFLICT (content): Merge conflict in src/app.py|error: failed to push some refs|fatal: refusing to merge unrelated histories|error: cannot rebase: You have unstaged changes.",
		"Resolve a %s|Undo a bad %s|Clean up %s|Recover from a %s"},
	{"security-xss", "ts",
		"xss|csrf|sanitize|escape|injection|cookie|header|csp|cors|vulnerability|input|validation|owasp|origin|samesite",
		"cross site|content security|csrf token|input validation|sql injection|secure cookie",
		"dangerouslySetInnerHTML|DOMPurify.sanitize|Content-Security-Policy|SameSite=Lax|helmet()|csrfProtection|escapeHtml",
		"src/server/security.ts|src/components/Comment.tsx|src/middleware/csrf.ts|nginx/security-headers.conf|src/lib/sanitize.ts",
		"Refused to execute inline script because it violates the following Content Security Policy directive|ForbiddenError: invalid csrf token|CVE-2024-4068|Blocked a frame with origin",
		"Fix %s in comments|Add %s headers|Audit %s|Prevent %s"},
	{"java-spring", "java",
		"spring|bean|injection|controller|repository|entity|transaction|hibernate|jpa|annotation|profile|actuator|lazy|proxy|autowired",
		"dependency injection|lazy loading|transaction boundary|spring boot|bean creation|entity mapping",
		"@Transactional|@Autowired|JpaRepository|LazyInitializationException|OrderService|application.yml|@SpringBootTest",
		"src/main/java/com/acme/orders/OrderService.java|src/main/java/com/acme/orders/OrderController.java|src/main/resources/application.yml|pom.xml|src/test/java/com/acme/orders/OrderServiceTest.java",
		"java.lang.NullPointerException: Cannot invoke \"Order.getCustomer()\" because \"order\" is null|org.hibernate.LazyInitializationException: could not initialize proxy - no Session|BeanCreationException: Error creating bean with name 'orderService'|UnsatisfiedDependencyException",
		"Fix %s in OrderService|%s across services|Debug %s|Configure %s"},
	{"ml-training", "py",
		"training|gpu|cuda|batch|epoch|model|loss|gradient|tensor|dataset|checkpoint|optimizer|learning|inference|accuracy",
		"out of memory|learning rate|mixed precision|data loader|gradient accumulation|model checkpoint",
		"torch.cuda.OutOfMemoryError|DataLoader(num_workers|optimizer.zero_grad()|torch.compile|model.eval()|CUDA_VISIBLE_DEVICES|autocast",
		"train.py|models/classifier.py|configs/train.yaml|data/loaders.py|scripts/eval.py",
		"torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB|RuntimeError: Expected all tensors to be on the same device|loss is nan|RuntimeError: DataLoader worker (pid 4242) is killed by signal",
		"Fix %s during training|Tune the %s|Speed up %s|Debug %s"},
	{"email-notifications", "py",
		"email|smtp|template|notification|bounce|queue|sender|spf|dkim|unsubscribe|digest|delivery|inbox|spam|provider",
		"email template|delivery rate|bounce handling|smtp server|notification queue|daily digest",
		"send_mail|SMTP_HOST|render_template|EmailBackend|DKIM-Signature|List-Unsubscribe|send_digest",
		"app/notifications/email.py|templates/email/welcome.html|app/tasks/digest.py|config/mail.py|tests/test_email.py",
		"smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted')|550 5.7.1 Message rejected|ConnectionRefusedError: [Errno 111] Connection refused|SPF check failed",
		"Fix %s to Gmail|Design the %s|Improve %s|Send a %s"},
}

// General programming vocabulary shared by all topics.
var (
	verbs    = strings.Split("fix|refactor|debug|add|remove|update|investigate|migrate|configure|deploy|optimize|handle|validate|retry|cache|log|test|rename|split|document|review|upgrade|rewrite|profile|simplify", "|")
	verbsIng = strings.Split("fixing|refactoring|debugging|adding|removing|updating|deploying|running|calling|loading|saving|parsing|starting|building|testing|reading|writing|sending|processing|retrying", "|")
	nouns    = strings.Split("function|handler|service|endpoint|config|request|response|test|build|release|module|package|dependency|variable|parameter|value|error|change|commit|branch|environment|production|staging|version|interface|method|field|schema|file|directory|script|command|worker|job|client|server|library|feature|bug|flag|log|output|input|user|customer|order", "|")
	adjs     = strings.Split("slow|broken|intermittent|new|old|async|nested|global|local|default|missing|duplicate|empty|large|small|stale|invalid|unexpected|recent|shared", "|")
	fillers  = strings.Split("the|a|this|that|it|we|our|I|you|when|because|but|and|so|then|also|just|still|only|now|again|after|before|with|from|into|for|on|in|at|of|to|is|was|are|be|seems|looks|should|could|would|might|can", "|")
	commands = strings.Split("go test ./...|npm test|pytest -x|make build|kubectl get pods|docker compose up|cargo build|terraform plan|git status|mvn test", "|")
	values   = strings.Split("nil|null|undefined|an empty list|zero|false|the old value|a stale value|the wrong user|a 500", "|")
	problems = strings.Split("returns early|never finishes|is called twice|blocks forever|runs before the setup|ignores the error|swallows the exception|retries without a limit|leaks a connection|uses the wrong config|reads a stale value|panics on empty input|times out after 30 seconds|only fails in production|works locally but not in CI", "|")
)

var topics []topic

func init() {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "|")
	}
	for _, s := range topicSpecs {
		topics = append(topics, topic{name: s.name, lang: s.lang, terms: split(s.terms), phrases: split(s.phrases),
			idents: split(s.idents), files: split(s.files), errors: split(s.errors), titles: split(s.titles)})
	}
}
