// Thread: browser. The console's shell: navigation and a hash router (#/brokers, #/topics,
// #/topics/{t}, #/topics/{t}/messages, #/groups, #/groups/{g}, #/throughput), so the broker
// serves one index.html and no route needs a server-side fallback.
import { render } from 'preact';
import { BrokersView } from './brokers.tsx';
import { GroupView, GroupsView } from './groups.tsx';
import { useRoute } from './hooks.ts';
import { MessagesView } from './messages.tsx';
import { ThroughputView } from './throughput.tsx';
import { TopicView } from './topic.tsx';
import { TopicsView } from './topics.tsx';
import './style.css';

const NAV = [
  ['/brokers', 'Brokers'],
  ['/topics', 'Topics'],
  ['/groups', 'Consumer groups'],
  ['/throughput', 'Throughput'],
] as const;

function page(route: string) {
  const seg = route.split('/').filter((s) => s !== '');
  const name = seg[1] !== undefined ? decodeURIComponent(seg[1]) : undefined;
  if (seg[0] === 'topics' && name !== undefined && seg[2] === 'messages') return <MessagesView topic={name} />;
  if (seg[0] === 'topics' && name !== undefined) return <TopicView topic={name} />;
  if (seg[0] === 'topics') return <TopicsView />;
  if (seg[0] === 'groups' && name !== undefined) return <GroupView group={name} />;
  if (seg[0] === 'groups') return <GroupsView />;
  if (seg[0] === 'throughput') return <ThroughputView />;
  return <BrokersView />;
}

function App() {
  const route = useRoute();
  return (
    <>
      <header>
        <span class="brand">Strata</span>
        <nav>
          {NAV.map(([path, label]) => (
            <a href={`#${path}`} class={route.startsWith(path) ? 'active' : ''} data-nav={path.slice(1)}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main>{page(route)}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
