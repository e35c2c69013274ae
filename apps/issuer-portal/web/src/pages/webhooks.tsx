// Webhook endpoints, for admins: the list (URL, events, enabled), registering one (URL and the
// events it wants; the signing secret is shown once, in the dialog; a refused URL is shown
// there too), disabling / enabling one, and an endpoint's delivery log with Resend.
import { useRef, useState } from 'react';
import { type ApiError, api, fieldIssues, fieldsInvalid } from '../api';
import { FormDialog } from '../components/dialog';
import { ShownOnce } from '../components/shown-once';
import { Table } from '../components/table';
import {
  Alert,
  Badge,
  Button,
  Card,
  ErrorMessage,
  LoadedView,
  Mono,
  PageHeader,
  TextInput,
  Time,
} from '../components/ui';
import { useSession } from '../session';
import type { ListOf } from '../types';
import { useAction, useApi } from '../use-api';

/** As GET /webhooks answers (the server's WebhookEndpointSchema). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  /** After a secret rotation: until then the replaced secret signs too. */
  previousSecretUntil?: number | null;
}

/** As GET /webhooks/:id/deliveries answers (the server's WebhookDeliverySchema). */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export function WebhooksPage() {
  const { can } = useSession();
  // The role first: a viewer's page asks the server for nothing it would refuse.
  if (!can('admin')) {
    return (
      <>
        <PageHeader title="Webhooks" />
        <Alert tone="info">Managing webhooks needs the admin role.</Alert>
      </>
    );
  }
  return <WebhooksAdmin />;
}

function WebhooksAdmin() {
  const endpoints = useApi(() => api.get<ListOf<WebhookEndpoint>>('/webhooks'), []);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<WebhookEndpoint | null>(null);
  const [rotating, setRotating] = useState<WebhookEndpoint | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const toggle = async (endpoint: WebhookEndpoint) => {
    setError(null);
    try {
      await api.patch(`/webhooks/${encodeURIComponent(endpoint.id)}`, {
        enabled: !endpoint.enabled,
      });
      endpoints.reload();
    } catch (failure) {
      setError(failure as ApiError);
    }
  };
  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Endpoints the portal tells about licenses, requests and keys, with signed requests."
        actions={
          <Button tone="primary" onClick={() => setCreating(true)}>
            Add an endpoint
          </Button>
        }
      />
      {error ? <ErrorMessage error={error} /> : null}
      <LoadedView state={endpoints} what="endpoints">
        {(endpointsData) => (
          <Card className="card-flush">
            <Table
              label="Webhook endpoints"
              rows={endpointsData.items}
              rowKey={(endpoint) => endpoint.id}
              empty="No webhook endpoints yet."
              columns={[
                { header: 'URL', primary: true, cell: (endpoint) => <Mono>{endpoint.url}</Mono> },
                { header: 'Events', cell: (endpoint) => endpoint.events.join(', ') },
                {
                  header: 'Enabled',
                  cell: (endpoint) => (
                    <Badge
                      value={endpoint.enabled ? 'enabled' : 'disabled'}
                      tone={endpoint.enabled ? 'active' : 'revoked'}
                    />
                  ),
                },
                { header: 'Since', cell: (endpoint) => <Time ms={endpoint.createdAt} /> },
                {
                  header: 'Actions',
                  hideHeader: true,
                  align: 'actions',
                  cell: (endpoint) => (
                    <>
                      <Button tone="ghost" onClick={() => setShown(endpoint)}>
                        Deliveries
                      </Button>
                      <Button tone="ghost" onClick={() => toggle(endpoint)}>
                        {endpoint.enabled ? 'Disable' : 'Enable'}
                      </Button>
                      <Button
                        tone="ghost"
                        aria-label={`Rotate the secret of ${endpoint.url}`}
                        onClick={() => setRotating(endpoint)}
                      >
                        Rotate secret
                      </Button>
                    </>
                  ),
                },
              ]}
            />
          </Card>
        )}
      </LoadedView>
      {shown ? <Deliveries endpoint={shown} /> : null}
      <RotateSecret
        endpoint={rotating}
        onClose={() => setRotating(null)}
        onRotated={() => endpoints.reload()}
      />
      <CreateEndpoint
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => endpoints.reload()}
      />
    </>
  );
}

/** One endpoint's delivery log, newest first, with Resend. */
function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const deliveries = useApi(
    () =>
      api.get<ListOf<WebhookDelivery>>(`/webhooks/${encodeURIComponent(endpoint.id)}/deliveries`),
    [endpoint.id],
  );
  const resend = useAction();
  return (
    <Card
      title={`Deliveries to ${endpoint.url}`}
      actions={<Button onClick={() => deliveries.reload()}>Refresh</Button>}
    >
      {resend.error ? <ErrorMessage error={resend.error} title="Not resent" /> : null}
      <LoadedView state={deliveries} what="deliveries">
        {(list) => (
          <Table
            label="Deliveries"
            compact
            rows={list.items}
            rowKey={(d) => d.id}
            empty="Nothing was sent to this endpoint yet."
            columns={[
              { header: 'Event', primary: true, cell: (d) => d.eventType },
              {
                header: 'Status',
                cell: (d) => (
                  <Badge
                    value={d.status}
                    tone={
                      d.status === 'delivered'
                        ? 'active'
                        : d.status === 'failed'
                          ? 'revoked'
                          : 'suspended'
                    }
                  />
                ),
              },
              { header: 'Attempts', align: 'num', cell: (d) => d.attempts },
              { header: 'Last answer', cell: (d) => d.lastStatus ?? '—' },
              {
                header: 'Response time',
                align: 'num',
                cell: (d) => (d.lastDurationMs === null ? '—' : `${d.lastDurationMs} ms`),
              },
              { header: 'Last error', cell: (d) => d.lastError ?? '—' },
              { header: 'Created', cell: (d) => <Time ms={d.createdAt} /> },
              {
                header: 'Actions',
                hideHeader: true,
                align: 'actions',
                cell: (d) => (
                  <Button
                    tone="ghost"
                    busy={resend.busy}
                    onClick={() =>
                      resend.run(async () => {
                        await api.post(
                          `/webhooks/${encodeURIComponent(endpoint.id)}/deliveries/${encodeURIComponent(d.id)}/resend`,
                        );
                        deliveries.reload();
                      })
                    }
                  >
                    Resend
                  </Button>
                ),
              },
            ]}
          />
        )}
      </LoadedView>
    </Card>
  );
}

/** The form in a dialog; a refusal is shown in it; on success it shows the secret, once. */
function CreateEndpoint({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
}) {
  const types = useApi(() => api.get<ListOf<string>>('/webhooks/event-types'), []);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ endpoint: WebhookEndpoint; secret: string } | null>(
    null,
  );
  // Each close starts a new generation: an answer that arrives after its dialog was closed
  // (the dialog cannot be closed while it is being sent; this guards an unmount or a race) is
  // never shown as the secret of the next one.
  const generation = useRef(0);
  const close = () => {
    generation.current += 1;
    setCreated(null);
    setUrl('');
    setEvents([]);
    setErrors({});
    onClose();
  };
  const toggle = (type: string, on: boolean) =>
    setEvents((current) => (on ? [...current, type] : current.filter((t) => t !== type)));
  const submit = async () => {
    const asked = generation.current;
    // Checked at the fields, as their hints say, before anything is sent.
    const found: Record<string, string> = {};
    if (!url.trim()) found.url = 'Enter the endpoint’s URL: http or https.';
    if (events.length === 0) found.events = 'Choose at least one event.';
    setErrors(found);
    if (Object.keys(found).length > 0) throw fieldsInvalid('below');
    let answer: { endpoint: WebhookEndpoint; secret: string };
    try {
      answer = await api.post<{ endpoint: WebhookEndpoint; secret: string }>('/webhooks', {
        url: url.trim(),
        events,
      });
    } catch (failure) {
      const atFields = fieldIssues(failure, { url: 'url', events: 'events' });
      if (Object.keys(atFields).length === 0) throw failure;
      setErrors(atFields);
      throw fieldsInvalid('below');
    }
    onCreated();
    if (asked === generation.current) setCreated(answer);
  };
  if (created) {
    return (
      <ShownOnce
        open={open}
        title="Endpoint added"
        label="Signing secret"
        secret={created.secret}
        copyLabel="Copy secret"
        warning="Copy the signing secret now: receivers verify each request’s signature with it."
        rows={2}
        testId="webhook-secret"
        onClose={close}
      >
        <p>
          <Mono>{created.endpoint.url}</Mono> receives {created.endpoint.events.join(', ')}.
        </p>
      </ShownOnce>
    );
  }
  return (
    <FormDialog
      open={open}
      title="Add a webhook endpoint"
      submitLabel="Add endpoint"
      errorTitle="The endpoint was not added"
      onSubmit={submit}
      onClose={close}
    >
      <TextInput
        label="Endpoint URL"
        type="url"
        autoComplete="off"
        hint="http or https; never this portal or a link-local address."
        value={url}
        error={errors.url ?? null}
        onChange={(e) => setUrl(e.target.value)}
      />
      <fieldset
        className={`field entitlement-set${errors.events ? ' field-invalid' : ''}`}
        aria-describedby="webhook-events-hint"
        aria-invalid={errors.events ? true : undefined}
      >
        <legend>Events</legend>
        <div className="field-hint" id="webhook-events-hint">
          The events it receives: at least one.
        </div>
        {errors.events ? <div className="field-error">{errors.events}</div> : null}
        {types.error ? <ErrorMessage error={types.error} /> : null}
        {(types.data?.items ?? []).map((type) => (
          <label key={type} className="checkbox">
            <input
              type="checkbox"
              name={`event-${type}`}
              checked={events.includes(type)}
              onChange={(e) => toggle(type, e.target.checked)}
            />{' '}
            {type}
          </label>
        ))}
      </fieldset>
    </FormDialog>
  );
}

/**
 * A new signing secret for an endpoint, shown once. Through the overlap each delivery carries the
 * replaced secret's signature too, so the receiver can switch at any moment within it.
 */
function RotateSecret({
  endpoint,
  onClose,
  onRotated,
}: {
  endpoint: WebhookEndpoint | null;
  onClose: () => void;
  onRotated: () => void;
}) {
  const [hours, setHours] = useState('24');
  const [error, setError] = useState<string | null>(null);
  const [rotated, setRotated] = useState<{
    secret: string;
    previousSecretUntil: number | null;
  } | null>(null);
  const close = () => {
    setRotated(null);
    setHours('24');
    setError(null);
    onClose();
  };
  const submit = async () => {
    if (endpoint === null) return;
    const overlapHours = Number(hours.trim());
    if (
      hours.trim() === '' ||
      !Number.isInteger(overlapHours) ||
      overlapHours < 0 ||
      overlapHours > 168
    ) {
      setError('A whole number of hours from 0 to 168.');
      throw fieldsInvalid('above');
    }
    setError(null);
    const answer = await api.post<{ secret: string; previousSecretUntil: number | null }>(
      `/webhooks/${encodeURIComponent(endpoint.id)}/secret/rotate`,
      { overlapHours },
    );
    onRotated();
    setRotated(answer);
  };
  if (endpoint !== null && rotated !== null) {
    return (
      <ShownOnce
        open
        title="Secret rotated"
        label="New signing secret"
        secret={rotated.secret}
        copyLabel="Copy secret"
        warning="Copy the new signing secret now and give it to the receiver."
        rows={2}
        testId="webhook-rotated-secret"
        onClose={close}
      >
        <p>
          {rotated.previousSecretUntil === null ? (
            <>The old secret no longer signs.</>
          ) : (
            <>
              Until <Time ms={rotated.previousSecretUntil} /> each delivery to{' '}
              <Mono>{endpoint.url}</Mono> carries both signatures: the receiver verifies with either
              secret, so switch it to the new one within that time.
            </>
          )}
        </p>
      </ShownOnce>
    );
  }
  return (
    <FormDialog
      open={endpoint !== null}
      title="Rotate the signing secret"
      submitLabel="Rotate secret"
      errorTitle="The secret was not rotated"
      onSubmit={submit}
      onClose={close}
    >
      <p>
        A new secret for <Mono>{endpoint?.url ?? ''}</Mono>. The rotation and each later read of a
        secret are in the audit log.
      </p>
      <TextInput
        label="Overlap (hours)"
        inputMode="numeric"
        hint="0 to 168 hours; through it each delivery carries both signatures, old and new."
        value={hours}
        error={error}
        onChange={(e) => setHours(e.target.value)}
      />
    </FormDialog>
  );
}
