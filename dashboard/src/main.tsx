/**
 * The dashboard: overview, trajectory list, one trajectory, compare and export, over the receiver's public API.
 * Routes live in the URL's hash (`#/trajectories/<id>`) so the receiver serves one page at `/` and nothing else.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Link, Route, Router, Switch, useLocation } from 'wouter';
import { hashHref, useHashPath, useHashSearch } from './hash-location.ts';
import { TokenGate } from './components/token-gate.tsx';
import { ComparePage } from './pages/compare-page.tsx';
import { ExportPage } from './pages/export-page.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { RawSpansPage } from './pages/raw-spans-page.tsx';
import { TrajectoriesPage } from './pages/trajectories-page.tsx';
import { TrajectoryPage } from './pages/trajectory-page.tsx';
import './styles.css';

const sections = [
  { path: '/', label: 'Overview' },
  { path: '/trajectories', label: 'Trajectories' },
  { path: '/compare', label: 'Compare' },
  { path: '/export', label: 'Export' },
];

function Navigation() {
  const [location] = useLocation();
  const current = (path: string) =>
    path === '/' ? location === '/' : location === path || location.startsWith(`${path}/`);
  return (
    <nav aria-label="Sections">
      <span className="brand">Trajectories</span>
      <ul>
        {sections.map((section) => (
          <li key={section.path}>
            <Link href={section.path} aria-current={current(section.path) ? 'page' : undefined}>
              {section.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function App() {
  return (
    <Router hook={useHashPath} searchHook={useHashSearch} hrefs={hashHref}>
      <TokenGate>
        <Navigation />
        <main>
          <Switch>
            <Route path="/" component={OverviewPage} />
            <Route path="/trajectories" component={TrajectoriesPage} />
            <Route path="/trajectories/:id">{(params) => <TrajectoryPage id={params.id} />}</Route>
            <Route path="/traces/:id">{(params) => <RawSpansPage traceId={params.id} />}</Route>
            <Route path="/compare" component={ComparePage} />
            <Route path="/export" component={ExportPage} />
            <Route>
              <h1>Not found</h1>
              <p>
                No page here. <Link href="/">Back to the overview</Link>.
              </p>
            </Route>
          </Switch>
        </main>
      </TokenGate>
    </Router>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('the page has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
